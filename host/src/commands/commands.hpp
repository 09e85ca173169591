// One function per berth command. Each returns the process exit status, or the error that the
// caller reports once.
#pragma once

#include "cli.hpp"
#include "commands/context.hpp"

namespace berth::host {

Result<int> cmd_version(Context &ctx, const CommandOptions &o);
Result<int> cmd_drivers(Context &ctx, const CommandOptions &o);
Result<int> cmd_features(Context &ctx, const CommandOptions &o);
Result<int> cmd_spec(Context &ctx, const CommandOptions &o);

Result<int> cmd_create(Context &ctx, const CommandOptions &o);
Result<int> cmd_run(Context &ctx, const CommandOptions &o);
Result<int> cmd_start(Context &ctx, const CommandOptions &o);
Result<int> cmd_delete(Context &ctx, const CommandOptions &o);

Result<int> cmd_state(Context &ctx, const CommandOptions &o);
Result<int> cmd_kill(Context &ctx, const CommandOptions &o);
Result<int> cmd_list(Context &ctx, const CommandOptions &o);
Result<int> cmd_ps(Context &ctx, const CommandOptions &o);
Result<int> cmd_pause(Context &ctx, const CommandOptions &o);
Result<int> cmd_resume(Context &ctx, const CommandOptions &o);
Result<int> cmd_exec(Context &ctx, const CommandOptions &o);
Result<int> cmd_events(Context &ctx, const CommandOptions &o);

// For people: detached containers under a monitor (run -d), and what goes with them.
Result<int> cmd_run_detached(Context &ctx, const CommandOptions &o);
Result<int> cmd_logs(Context &ctx, const CommandOptions &o);
Result<int> cmd_wait(Context &ctx, const CommandOptions &o);
Result<int> cmd_stop(Context &ctx, const CommandOptions &o);
Result<int> cmd_rm(Context &ctx, const CommandOptions &o);

} // namespace berth::host
