// The Debian packages `cpack -G DEB` makes from the build tree, and the documentation shipped in
// them: package names and dependencies, a subset of the packages unpacked into a scratch root
// (never installed on this machine) running a container, and man pages and completion that
// keep up with the command line.
#include "chroot_support.hpp"

#include <catch2/catch.hpp>
#include <yaml-cpp/yaml.h>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

using namespace berth::test;

namespace {

std::string slurp(const fs::path &p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void write(const fs::path &p, const std::string &s) {
    std::ofstream out(p);
    out << s;
}

// The full path of `name` on $PATH, or empty.
fs::path find_program(const std::string &name) {
    const char *path = std::getenv("PATH");
    std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        fs::path p = fs::path(dir) / name;
        if (!dir.empty() && ::access(p.c_str(), X_OK) == 0)
            return p;
    }
    return {};
}

std::vector<std::string> lines_of(const std::string &text) {
    std::vector<std::string> lines;
    std::stringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

// dpkg-deb by its full path, as run() needs.
std::string dpkg_deb() {
    static const std::string path = find_program("dpkg-deb").string();
    return path;
}

// The drivers this build made, as packages are made only for those.
std::set<std::string> built_drivers() {
    std::set<std::string> names;
    for (const char *name : {"native", "lxc", "chroot"})
        if (fs::exists(driver_dir() / (std::string(name) + ".so")))
            names.insert(name);
    return names;
}

// The packages of this build, made under `dir` by cpack from the build tree's CPack
// configuration, by package name.
std::map<std::string, fs::path> make_packages(const fs::path &dir) {
    fs::path cpack = find_program("cpack");
    if (cpack.empty() || find_program("dpkg-deb").empty())
        skip("cpack or dpkg-deb not found (Debian: cmake, dpkg)");
    if (find_program("dpkg-shlibdeps").empty())
        skip("dpkg-shlibdeps not found (Debian: dpkg-dev)");
    fs::path config = fs::path(BERTH_TEST_BUILD_DIR) / "CPackConfig.cmake";
    if (!fs::exists(config))
        skip("no CPackConfig.cmake in the build directory " + std::string(BERTH_TEST_BUILD_DIR));
    // cpack first builds the tree's preinstall target, a no-op in a built tree; -B keeps
    // everything it writes (staging tree, packages) in this test's directory.
    RunResult r = run(
        {cpack.string(), "-G", "DEB", "--config", config.string(), "-B", (dir / "out").string()},
        {}, 240);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    std::map<std::string, fs::path> debs;
    for (const auto &e : fs::directory_iterator(dir / "out"))
        if (e.path().extension() == ".deb") {
            RunResult f = run({dpkg_deb(), "-f", e.path().string(), "Package"});
            REQUIRE(f.exit_code == 0);
            debs[f.out.substr(0, f.out.find('\n'))] = e.path();
        }
    return debs;
}

std::string field(const fs::path &deb, const std::string &name) {
    RunResult r = run({dpkg_deb(), "-f", deb.string(), name});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::string v = r.out;
    while (!v.empty() && v.back() == '\n')
        v.pop_back();
    return v;
}

// The names in a Depends field, without versions or alternatives.
std::set<std::string> depends_names(const std::string &depends) {
    std::set<std::string> names;
    static const std::regex name_re("(^|[,|]) *([a-z0-9][a-z0-9.+-]*)");
    for (auto it = std::sregex_iterator(depends.begin(), depends.end(), name_re);
         it != std::sregex_iterator(); ++it)
        names.insert((*it)[2]);
    return names;
}

// The regular files a package holds, as absolute paths.
std::vector<std::string> contents(const fs::path &deb) {
    RunResult c = run({dpkg_deb(), "-c", deb.string()});
    REQUIRE(c.exit_code == 0);
    std::vector<std::string> files;
    for (const auto &line : lines_of(c.out)) {
        if (line.empty() || line[0] != '-')
            continue;
        auto at = line.find(" ./");
        if (at != std::string::npos)
            files.push_back(line.substr(at + 2));
    }
    return files;
}

bool holds(const std::vector<std::string> &files, const std::string &path) {
    return std::find(files.begin(), files.end(), path) != files.end();
}

// Every command `berth --help` lists, from its SUBCOMMANDS section.
std::vector<std::string> help_commands() {
    RunResult r = run({berth_binary().string(), "--help"});
    REQUIRE(r.exit_code == 0);
    std::vector<std::string> commands;
    bool in_section = false;
    static const std::regex entry("^  ([a-z]+)( .*)?$");
    for (const auto &line : lines_of(r.out)) {
        if (line == "SUBCOMMANDS:" || line == "Subcommands:") {
            in_section = true;
            continue;
        }
        std::smatch m;
        if (in_section && std::regex_match(line, m, entry))
            commands.push_back(m[1]);
        else if (in_section && !line.empty() && line[0] != ' ')
            in_section = false;
    }
    return commands;
}

// The long options (--name) an OPTIONS section of `berth [COMMAND] --help` lists.
std::vector<std::string> help_long_options(const std::vector<std::string> &command) {
    std::vector<std::string> argv = {berth_binary().string()};
    argv.insert(argv.end(), command.begin(), command.end());
    argv.push_back("--help");
    RunResult r = run(argv);
    REQUIRE(r.exit_code == 0);
    std::vector<std::string> options;
    bool in_section = false;
    static const std::regex long_opt("--([a-z][a-z-]*)");
    for (const auto &line : lines_of(r.out)) {
        if (line == "OPTIONS:" || line == "Options:") {
            in_section = true;
            continue;
        }
        if (in_section && !line.empty() && line[0] != ' ')
            in_section = false;
        if (!in_section)
            continue;
        // Only the option column: the description may mention other options.
        std::string column = line.substr(0, line.find("  ", 2));
        for (auto it = std::sregex_iterator(column.begin(), column.end(), long_opt);
             it != std::sregex_iterator(); ++it)
            options.push_back((*it)[1]);
    }
    return options;
}

// The keys berth.yaml may hold, from the shipped conf/berth.yaml: every top-level key, the keys
// of log, and the keys of each driver's settings (not the driver names themselves).
std::set<std::string> config_keys() {
    YAML::Node root = YAML::LoadFile(std::string(BERTH_TEST_SOURCE_DIR) + "/conf/berth.yaml");
    std::set<std::string> keys;
    for (const auto &top : root) {
        const std::string key = top.first.as<std::string>();
        keys.insert(key);
        if (key == "log")
            for (const auto &k : top.second)
                keys.insert(k.first.as<std::string>());
        if (key == "drivers")
            for (const auto &driver : top.second)
                for (const auto &k : driver.second)
                    keys.insert(k.first.as<std::string>());
    }
    return keys;
}

// Roff escapes the hyphen of an option: --root is written \-\-root.
std::string roff(const std::string &text) {
    std::string out;
    for (char c : text)
        out += c == '-' ? std::string("\\-") : std::string(1, c);
    return out;
}

} // namespace

TEST_CASE("the Debian packages carry their names, the host's version and their dependencies, "
          "and a subset unpacked into a scratch root runs a container",
          "[root][packaging]") {
    require_root();
    std::set<std::string> drivers = built_drivers();
    if (!drivers.count("chroot"))
        skip("the chroot driver is not built (BERTH_DRIVER_CHROOT=OFF)");
    Sandbox sb;
    auto debs = make_packages(sb.dir() / "packages");

    std::set<std::string> expected = {"berth", "berth-dev"};
    for (const auto &d : drivers)
        expected.insert("berth-driver-" + d);
    std::set<std::string> made;
    for (const auto &[name, path] : debs)
        made.insert(name);
    CHECK(made == expected);
    REQUIRE(debs.count("berth"));
    REQUIRE(debs.count("berth-driver-chroot"));

    const std::string version = BERTH_VERSION;
    for (const auto &[name, deb] : debs) {
        INFO(name);
        CHECK(field(deb, "Version") == version);
        CHECK(field(deb, "Architecture") == "amd64");
    }
    for (const auto &d : drivers) {
        const std::string depends = field(debs.at("berth-driver-" + d), "Depends");
        INFO("berth-driver-" << d << " Depends: " << depends);
        CHECK(depends.find("berth (= " + version + ")") != std::string::npos);
    }
    std::set<std::string> host_deps = depends_names(field(debs.at("berth"), "Depends"));
    CHECK(host_deps.count("libc6"));
    CHECK(host_deps.count("libstdc++6"));
    CHECK(host_deps.count("berth") == 0);
    std::set<std::string> recommended = depends_names(field(debs.at("berth"), "Recommends"));
    for (const auto &d : drivers)
        CHECK(recommended.count("berth-driver-" + d));
    if (drivers.count("native")) {
        std::set<std::string> deps =
            depends_names(field(debs.at("berth-driver-native"), "Depends"));
        for (const char *lib : {"libseccomp2", "libcap2", "libmnl0", "libnftables1"})
            CHECK(deps.count(lib));
    }
    if (drivers.count("lxc")) {
        std::set<std::string> deps = depends_names(field(debs.at("berth-driver-lxc"), "Depends"));
        CHECK(deps.count("liblxc1"));
        CHECK(deps.count("liblxc-common"));
    }

    // Each file where the binaries look for it: the paths compiled into berth.
    const fs::path driver_dir_installed = BERTH_INSTALL_DRIVER_DIR;
    const fs::path config_installed = fs::path(BERTH_INSTALL_SYSCONF_DIR) / "berth/berth.yaml";
    auto host_files = contents(debs.at("berth"));
    CHECK(holds(host_files, (fs::path(BERTH_INSTALL_LIBEXEC_DIR) / "berth-monitor").string()));
    CHECK(holds(host_files, config_installed.string()));
    CHECK(std::count_if(host_files.begin(), host_files.end(), [](const std::string &f) {
              return f.ends_with("/bin/berth") || f.ends_with("/man1/berth.1") ||
                     f.ends_with("/man5/berth.yaml.5") ||
                     f.ends_with("/bash-completion/completions/berth");
          }) == 4);
    CHECK(std::none_of(host_files.begin(), host_files.end(),
                       [](const std::string &f) { return f.ends_with(".so"); }));
    RunResult conffiles = run({dpkg_deb(), "-I", debs.at("berth").string(), "conffiles"});
    CHECK(conffiles.out == config_installed.string() + "\n");
    CHECK(holds(contents(debs.at("berth-driver-chroot")),
                (driver_dir_installed / "chroot.so").string()));
    auto dev_files = contents(debs.at("berth-dev"));
    for (const char *suffix : {"/include/berth/driver.h", "/BerthDriver/BerthDriverConfig.cmake",
                               "/pkgconfig/berth-driver.pc", "/bin/berth-driver-check"})
        CHECK(std::any_of(dev_files.begin(), dev_files.end(),
                          [&](const std::string &f) { return f.ends_with(suffix); }));

    // berth and berth-driver-chroot, unpacked (not installed) into a scratch root.
    const fs::path root = sb.dir() / "root";
    for (const char *name : {"berth", "berth-driver-chroot"}) {
        RunResult x = run({dpkg_deb(), "-x", debs.at(name).string(), root.string()});
        INFO(x.err);
        REQUIRE(x.exit_code == 0);
    }
    // The shipped configuration names the directory the driver packages fill.
    const std::string shipped = slurp(root / config_installed.relative_path());
    CHECK(shipped.find("\ndriver_dirs:\n  - " + driver_dir_installed.string() + "\n") !=
          std::string::npos);

    std::vector<std::string> bin;
    for (const auto &f : host_files)
        if (f.ends_with("/bin/berth"))
            bin.push_back(f);
    REQUIRE(bin.size() == 1);
    const fs::path berth = root / fs::path(bin.front()).relative_path();
    const fs::path config = sb.dir() / "unpacked.yaml";
    write(config, "driver_dirs:\n  - " + (root / driver_dir_installed.relative_path()).string() +
                      "\nstate_root: " + sb.state_root().string() + "\n");
    const std::vector<std::string> base = {berth.string(), "-c", config.string(), "--log-level",
                                           "warn"};

    auto with = [&](std::vector<std::string> args) {
        args.insert(args.begin(), base.begin(), base.end());
        return args;
    };
    RunResult listed = run(with({"drivers", "--format", "json"}));
    INFO(listed.err);
    REQUIRE(listed.exit_code == 0);
    auto found = nlohmann::json::parse(listed.out);
    REQUIRE(found.size() == 1);
    CHECK(found[0]["name"] == "chroot");
    CHECK(found[0]["status"] == "usable");
    CHECK(found[0]["path"] == (root / driver_dir_installed.relative_path() / "chroot.so").string());
    RunResult table = run(with({"drivers"}));
    CHECK(table.out.find("native") == std::string::npos);

    // The chroot driver refuses isolation fields: the spec holds the process and root only.
    auto process_and_root = [](nlohmann::json &spec) {
        nlohmann::json kept = {{"ociVersion", spec["ociVersion"]},
                               {"process", spec["process"]},
                               {"root", spec["root"]}};
        spec = kept;
    };
    auto bundle = chroot::bundle(sb, "pkg", {"sh", "-c", "echo from the packaged berth; exit 3"},
                                 process_and_root);
    RunResult ran = run(with({"-e", "chroot", "run", "-b", bundle.string(), sb.id("pkg")}));
    INFO(ran.err);
    CHECK(ran.exit_code == 3);
    CHECK(ran.out == "from the packaged berth\n");
    CHECK(ran.err == "");
    CHECK(sb.leftovers().empty());
}

TEST_CASE("berth.1 names every command and option the command line has", "[unit][docs]") {
    const std::string page = slurp(std::string(BERTH_TEST_SOURCE_DIR) + "/docs/man/berth.1");
    REQUIRE(!page.empty());
    auto commands = help_commands();
    REQUIRE(commands.size() >= 10);
    for (const auto &command : commands) {
        INFO("command " << command);
        CHECK(std::regex_search(page, std::regex("\n\\.B " + command + "( |\n)")));
        for (const auto &option : help_long_options({command})) {
            INFO("option --" << option);
            CHECK(page.find(roff("--" + option)) != std::string::npos);
        }
    }
    auto global = help_long_options({});
    REQUIRE(std::count(global.begin(), global.end(), "root") == 1);
    for (const auto &option : global) {
        INFO("global option --" << option);
        CHECK(page.find(roff("--" + option)) != std::string::npos);
    }
}

TEST_CASE("berth.yaml.5 describes every key of the shipped berth.yaml", "[unit][docs]") {
    const std::string page = slurp(std::string(BERTH_TEST_SOURCE_DIR) + "/docs/man/berth.yaml.5");
    REQUIRE(!page.empty());
    auto keys = config_keys();
    REQUIRE(keys.count("driver_dirs"));
    REQUIRE(keys.count("ignore_unsupported"));
    for (const auto &key : keys) {
        INFO("key " << key);
        CHECK(page.find("\n.TP\n.B " + key + "\n") != std::string::npos);
    }
}

TEST_CASE("the bash completion offers every command and global option", "[unit][docs]") {
    const std::string script = slurp(std::string(BERTH_TEST_SOURCE_DIR) + "/completion/berth.bash");
    REQUIRE(!script.empty());
    auto words_of = [&](const std::string &var) {
        std::smatch m;
        REQUIRE(std::regex_search(script, m, std::regex("local " + var + "=\"([^\"]*)\"")));
        std::set<std::string> words;
        std::stringstream in(m[1].str());
        for (std::string w; in >> w;)
            words.insert(w);
        return words;
    };
    auto commands = help_commands();
    std::set<std::string> from_help(commands.begin(), commands.end());
    CHECK(words_of("commands") == from_help);
    auto flags = words_of("global_flags");
    for (const auto &option : help_long_options({})) {
        INFO("global option --" << option);
        CHECK(flags.count("--" + option));
    }
}

TEST_CASE("the man pages format without a warning", "[unit][docs]") {
    fs::path groff = find_program("groff");
    if (groff.empty())
        skip("groff not found (Debian: groff-base)");
    for (const char *page : {"berth.1", "berth.yaml.5"}) {
        INFO(page);
        RunResult r = run({groff.string(), "-man", "-Tutf8", "-ww", "-z",
                           std::string(BERTH_TEST_SOURCE_DIR) + "/docs/man/" + page});
        CHECK(r.exit_code == 0);
        CHECK(r.err == "");
    }
}
