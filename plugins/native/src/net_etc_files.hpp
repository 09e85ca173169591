// The /etc/hosts and /etc/resolv.conf a container on a bridge network sees. Both are files in
// the container's state_dir, bind-mounted read-only over the image's own, so the image stays
// untouched and the files go with the container.
#pragma once

#include "net_ipv4.hpp"

#include <string>

namespace berth::native {

// localhost for both families, and `hostname` at `address` when a hostname is set.
std::string render_hosts(const std::string &hostname, Ipv4 address);

// The host's resolver configuration without loopback nameservers (127.0.0.0/8 and ::1 mean
// the container's own loopback inside its namespace, where no resolver listens). Search
// and options lines are kept. `dropped` counts the nameservers left out.
std::string render_resolv_conf(const std::string &host_text, int &dropped);

} // namespace berth::native
