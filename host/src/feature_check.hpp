// The feature gate: compares what a container request (OCI config.json) asks for with what a
// driver declares in its OCI features document (runtime-spec features.json), so the host can
// refuse a request naming the fields a driver cannot honour instead of letting it ignore them.
//
// berth's own convention: a driver may list fields it does not implement at all, even where
// features.json has no key for them, in the annotation "org.berth.unsupported" of its features
// document. Its value is a JSON array of field paths in the notation below, for example
//
//     "annotations": { "org.berth.unsupported": "[\"hostname\", \"linux.sysctl\"]" }
//
// OCI annotations are string-to-string, so the array is carried as JSON text; a real array is
// accepted as well. A listed path matches the field itself and everything below it
// ("linux.resources" covers "linux.resources.memory").
//
// Field paths name a spec member with dots ("linux.resources.memory"); a selector in brackets
// names one element of a list or one value ("linux.namespaces[pid]",
// "process.capabilities[CAP_SYS_ADMIN]", "mounts[/proc].options[nosuid]",
// "linux.seccomp.action[SCMP_ACT_TRACE]", "hooks.prestart").
//
// What is checked: ociVersion against ociVersionMin/Max (major.minor), hooks by kind, generic
// mount options by name (filesystem data such as "mode=755" is not described by features and
// passes), id-mapped mounts, namespaces by type, capabilities named in any set of
// process.capabilities, each linux.resources member when the driver declares neither cgroup v1
// nor v2 (rdma and unified need their own flags), seccomp (enabled, then actions, operators,
// architectures, flags), the AppArmor profile, SELinux labels, Intel RDT, and the paths of
// "org.berth.unsupported" that the spec uses with a non-empty value. A list or flag the
// features document leaves out or null declares nothing: the field is unsupported.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace berth::host {

// Field paths that `spec` uses and `features` does not declare, in a stable order (the order
// of the checks, then of the spec's own lists) without duplicates. Empty when the driver can
// honour everything the spec asks for.
std::vector<std::string> unsupported_fields(const nlohmann::json &spec,
                                            const nlohmann::json &features);

// Removes the named fields from `spec` (for a user who asked to run anyway without them).
// A selector removes only the matching element ("linux.namespaces[pid]" removes the pid
// namespace entry, "process.capabilities[CAP_X]" removes CAP_X from every capability set).
// Paths that do not occur are ignored. "ociVersion" is never removed, and any path below
// "linux.seccomp." removes the whole filter: one with rules taken out is not a weaker version
// of the same filter but a different one.
void strip_fields(nlohmann::json &spec, const std::vector<std::string> &fields);

} // namespace berth::host
