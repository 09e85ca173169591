// A pty for a container process whose spec says process.terminal: the process gets the slave
// side as its controlling terminal and stdio, and the caller (an engine, through
// --console-socket) gets the master side over an AF_UNIX socket with SCM_RIGHTS. The pty comes
// from the container's own /dev/ptmx, so that it belongs to the container's devpts instance
// and its number means something inside the container.
#pragma once

#include <berth/common/error.hpp>
#include <berth/common/oci_spec.hpp>
#include <berth/common/unique_fd.hpp>

#include <string>

namespace berth::native {

// Connects to the console socket the host was given. Done by the driver before the process
// is made, while the path still resolves in the host's mount namespace; `doc` names the spec
// in messages ("config.json", "process.json"). An empty path is an error: a terminal without
// a receiver for its master would leave the process without stdio.
Result<UniqueFd> connect_console_socket(const std::string &path, const std::string &doc);

// In the container's process, after its root is in place and before it drops privileges:
// opens a pty, applies process.consoleSize, sends the master over `socket_fd` and closes it,
// starts a new session with the slave as controlling terminal, and puts the slave on 0, 1
// and 2. The slave is handed to the process's user, as login(1) does.
Result<> attach_console(int socket_fd, const oci::Process &process);

} // namespace berth::native
