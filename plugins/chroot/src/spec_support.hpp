// What the chroot driver can and cannot honour of an OCI config.json: its features document,
// and the defensive check that refuses, naming the fields, a request it would otherwise have
// to ignore in part.
#pragma once

#include <berth/common/oci_spec.hpp>

#include <string>
#include <vector>

namespace berth::chroot {

// Field paths (the host's feature-gate notation) this driver cannot honour at all: everything
// that needs namespaces, mounts, cgroups or a security module. The features document lists
// them in the "org.berth.unsupported" annotation.
const std::vector<std::string> &unsupported_fields();

// The driver's OCI features document (runtime-spec features.json) as JSON text.
std::string features_document();

// Refuses a spec that uses any unsupported field, naming every one of them.
Result<> refuse_unsupported(const oci::Spec &spec);

// Refuses rlimits this process cannot grant: raising a hard limit above the current one needs
// CAP_SYS_RESOURCE (setrlimit(2)).
Result<> check_rlimits(const oci::Process &process);

} // namespace berth::chroot
