// The friendly network flags of run and create (--network, -p/--publish), written into the
// container's config.json as the native driver reads it: linux.namespaces and the
// org.berth.network / org.berth.publish annotations. Engines never pass them; they write the
// same fields into config.json themselves.
#pragma once

#include "cli.hpp"
#include "commands/context.hpp"

#include <berth/common/error.hpp>

#include <nlohmann/json.hpp>

namespace berth::host {

// Applies o.network and o.publish to `spec`:
//   host            no network namespace: the host's interfaces
//   none            a new network namespace with loopback only
//   container:ID    the network namespace of container ID, which must be running
//   NAME            a new namespace on bridge network NAME of berth.yaml
// Without --network, o.default_network (berth.yaml's run.network, for `berth run`) applies
// to a config.json that asks for its own network namespace and names no network.
// Published ports ([HOSTIP:]HOSTPORT:CPORT[/tcp|udp]) need a bridge network.
Result<> apply_network_options(Context &ctx, const CommandOptions &o, nlohmann::json &spec);

} // namespace berth::host
