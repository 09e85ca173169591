#include <berth/common/oci_spec.hpp>

#include <catch2/catch.hpp>

#include <sys/resource.h>

using berth::oci::Spec;
using nlohmann::json;

namespace {

json minimal() {
    return {{"ociVersion", "1.0.2"},
            {"process",
             {{"args", {"sh"}}, {"cwd", "/"}, {"user", {{"uid", 0}, {"gid", 0}}}}},
            {"root", {{"path", "rootfs"}}}};
}

std::string process_error(json spec) {
    auto s = Spec::from_json(std::move(spec));
    REQUIRE(s);
    auto p = s->process();
    REQUIRE_FALSE(p);
    CHECK(p.error().code == BERTH_E_INVALID_SPEC);
    return p.error().render();
}

} // namespace

TEST_CASE("oci spec reads a process with user, env, rlimits and umask", "[unit]") {
    json j = minimal();
    j["process"]["env"] = {"PATH=/bin", "A=1", "A=2"};
    j["process"]["user"] = {{"uid", 1000}, {"gid", 100}, {"additionalGids", {5, 6}},
                            {"umask", 18}};
    j["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 10}, {"hard", 20}}};
    j["process"]["noNewPrivileges"] = true;
    auto s = Spec::from_json(j);
    REQUIRE(s);
    auto p = s->process();
    REQUIRE(p);
    CHECK(p->args == std::vector<std::string>{"sh"});
    CHECK(p->getenv("A") == "2");
    CHECK(p->getenv("PATH") == "/bin");
    CHECK_FALSE(p->getenv("PAT"));
    CHECK(p->user.uid == 1000);
    CHECK(p->user.gid == 100);
    CHECK(p->user.additional_gids == std::vector<uint32_t>{5, 6});
    CHECK(p->user.umask == 18u);
    REQUIRE(p->rlimits.size() == 1);
    CHECK(p->rlimits[0].resource == RLIMIT_NOFILE);
    CHECK(p->rlimits[0].soft == 10);
    CHECK(p->rlimits[0].hard == 20);
    CHECK(p->no_new_privileges);
    CHECK_FALSE(p->terminal);
}

TEST_CASE("oci spec names the field of a malformed process", "[unit]") {
    json j = minimal();
    j["process"]["args"] = json::array();
    CHECK(process_error(j) == "config.json: process.args must be a non-empty array of strings");

    j = minimal();
    j["process"]["args"] = {"sh", 1};
    CHECK(process_error(j) == "config.json: process.args must be a non-empty array of strings");

    j = minimal();
    j["process"]["cwd"] = "tmp";
    CHECK(process_error(j) == "config.json: process.cwd must be an absolute path");

    j = minimal();
    j["process"]["env"] = {"PATH=/bin", "NOEQUALS"};
    CHECK(process_error(j) == "config.json: process.env[1] must be a \"KEY=value\" string");

    j = minimal();
    j["process"]["user"] = {{"uid", -1}, {"gid", 0}};
    CHECK(process_error(j) ==
          "config.json: process.user.uid must be an integer from 0 to 4294967295");

    j = minimal();
    j["process"]["user"] = {{"uid", 0}};
    CHECK(process_error(j) == "config.json: process.user must give both uid and gid");

    j = minimal();
    j["process"]["user"]["umask"] = 01000;
    CHECK(process_error(j) ==
          "config.json: process.user.umask must be a file mode from 0 to 0777 (511)");

    j = minimal();
    j["process"]["rlimits"] = {{{"type", "RLIMIT_BOGUS"}, {"soft", 1}, {"hard", 1}}};
    CHECK(process_error(j) ==
          "config.json: process.rlimits[0].type names an unknown limit \"RLIMIT_BOGUS\"");

    j = minimal();
    j["process"]["rlimits"] = {{{"type", "RLIMIT_CORE"}, {"soft", 5}, {"hard", 1}}};
    CHECK(process_error(j) ==
          "config.json: process.rlimits[0] (RLIMIT_CORE) has soft 5 above hard 1");

    j = minimal();
    j["process"]["rlimits"] = {{{"type", "RLIMIT_CORE"}, {"soft", 1}, {"hard", 1}},
                               {{"type", "RLIMIT_CORE"}, {"soft", 1}, {"hard", 1}}};
    CHECK(process_error(j) == "config.json: process.rlimits sets RLIMIT_CORE twice");

    j = minimal();
    j["process"]["terminal"] = "yes";
    CHECK(process_error(j) == "config.json: process.terminal must be true or false");

    j = minimal();
    j.erase("process");
    CHECK(process_error(j) == "config.json: process is required to run a container");
}

TEST_CASE("oci spec reads an exec's process.json without the process prefix", "[unit]") {
    json p = {{"args", json::array()}, {"cwd", "/"}, {"user", {{"uid", 0}, {"gid", 0}}}};
    auto r = berth::oci::parse_process(p, "process.json", "");
    REQUIRE_FALSE(r);
    CHECK(r.error().render() == "process.json: args must be a non-empty array of strings");
}

TEST_CASE("oci spec resolves root.path against the bundle unless absolute", "[unit]") {
    auto s = Spec::from_json(minimal());
    REQUIRE(s);
    auto root = s->root();
    REQUIRE(root);
    CHECK(root->resolve("/b") == "/b/rootfs");
    CHECK_FALSE(root->readonly);
    root->path = "/abs";
    CHECK(root->resolve("/b") == "/abs");

    json j = minimal();
    j["root"] = {{"path", ""}};
    auto bad = Spec::from_json(j)->root();
    REQUIRE_FALSE(bad);
    CHECK(bad.error().render() == "config.json: root.path must be a non-empty path");
}

TEST_CASE("oci spec reports text that is not JSON", "[unit]") {
    auto s = Spec::parse("{\"ociVersion\": ", "/b/config.json");
    REQUIRE_FALSE(s);
    CHECK(s.error().render() == "/b/config.json: not valid JSON");
}

TEST_CASE("oci spec treats null and empty members as not asking for anything", "[unit]") {
    json j = minimal();
    j["hostname"] = "h";
    j["linux"] = {{"namespaces", json::array()}, {"sysctl", nullptr}, {"resources", {{"a", 1}}}};
    auto s = Spec::from_json(j);
    REQUIRE(s);
    CHECK(s->uses("hostname"));
    CHECK(s->uses("linux.resources"));
    CHECK(s->uses("linux.resources.a"));
    CHECK_FALSE(s->uses("linux.namespaces"));
    CHECK_FALSE(s->uses("linux.sysctl"));
    CHECK_FALSE(s->uses("linux.seccomp"));
    CHECK_FALSE(s->uses("mounts"));
    CHECK(*s->hostname() == "h");
}

TEST_CASE("oci spec reads mounts and names a bad destination", "[unit]") {
    json j = minimal();
    j["mounts"] = {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
                   {{"destination", "tmp"}}};
    auto s = Spec::from_json(j);
    REQUIRE(s);
    auto m = s->mounts();
    REQUIRE_FALSE(m);
    CHECK(m.error().render() == "config.json: mounts[1].destination must be an absolute path");
    j["mounts"].erase(1);
    m = Spec::from_json(j)->mounts();
    REQUIRE(m);
    REQUIRE(m->size() == 1);
    CHECK((*m)[0].type == "proc");
    CHECK((*m)[0].options.empty());
}
