// The leak check: a long-running host (or a test suite) loads, initialises, deinitialises and
// unloads a driver many times; fds, threads and memory must come back each time.
#include "check.hpp"
#include "driver_session.hpp"

#include <fmt/format.h>

#include <malloc.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace berth::check {
namespace {

using namespace std::chrono_literals;

// Cycles before the first measurement: the first loads fill caches of the dynamic linker and
// of libc (locale, NSS, stdio buffers) that stay for the life of the process by design.
constexpr unsigned kWarmup = 3;
// What a loop of load/unload may gain without a leak: allocator and page-cache noise.
constexpr long kHeapSlackBytes = 64 * 1024;
constexpr long kHeapBytesPerCycle = 256;
constexpr long kRssSlackKiB = 4096;

struct Usage {
    long fds = 0;
    long threads = 0;
    long heap = 0; // bytes malloc has handed out and not had back
    long rss_kib = 0;
};

long status_field(const char *key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key, 0) == 0)
            return std::stol(line.substr(std::string(key).size()));
    return -1;
}

Usage measure() {
    Usage u;
    for ([[maybe_unused]] const auto &e : std::filesystem::directory_iterator("/proc/self/fd"))
        ++u.fds;
    u.threads = status_field("Threads:");
    struct mallinfo2 mi = mallinfo2();
    u.heap = static_cast<long>(mi.uordblks + mi.hblkhd);
    u.rss_kib = status_field("VmRSS:");
    return u;
}

// One life of the driver as a host sees it.
std::string cycle(const Context &ctx) {
    auto lib = Library::open(ctx.driver);
    if (!lib)
        return lib.error().render();
    auto inst = Instance::create(*lib);
    if (!inst)
        return inst.error().render();
    (*inst)->probe();
    (*inst)->features();
    return {};
}

Verdict load_unload(const Context &ctx) {
    for (unsigned i = 0; i < kWarmup; ++i)
        if (auto why = cycle(ctx); !why.empty())
            return Verdict::fail(why);
    Usage before = measure();
    for (unsigned i = 0; i < ctx.iterations; ++i)
        if (auto why = cycle(ctx); !why.empty())
            return Verdict::fail(fmt::format("cycle {}: {}", i + 1, why));
    Usage after = measure();
    const unsigned n = ctx.iterations;
    if (after.fds > before.fds)
        return Verdict::fail(fmt::format("open fds grew from {} to {} over {} load/init/deinit/"
                                         "unload cycles (close every fd by deinit)",
                                         before.fds, after.fds, n));
    if (after.threads > before.threads)
        return Verdict::fail(fmt::format("threads grew from {} to {} over {} cycles (stop every "
                                         "thread before deinit returns)",
                                         before.threads, after.threads, n));
    long heap = after.heap - before.heap;
    if (heap > kHeapSlackBytes + kHeapBytesPerCycle * static_cast<long>(n))
        return Verdict::fail(fmt::format("heap in use grew by {} bytes over {} cycles (about {} "
                                         "per cycle; free everything by deinit)",
                                         heap, n, heap / static_cast<long>(n)));
    if (after.rss_kib - before.rss_kib > kRssSlackKiB)
        return Verdict::fail(fmt::format("resident memory grew from {} KiB to {} KiB over {} "
                                         "cycles",
                                         before.rss_kib, after.rss_kib, n));
    return Verdict::pass();
}

} // namespace

std::vector<Check> leak_checks() {
    return {{"load-unload", Needs::init, 120s, load_unload}};
}

} // namespace berth::check
