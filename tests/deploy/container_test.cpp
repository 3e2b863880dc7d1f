// The container image, black-box: builds deploy/Dockerfile's runtime stage from the binary this suite built
// (ARTIFACTS=prebuilt), runs two containers with host networking against the test PostgreSQL, the way
// deploy/compose.yaml runs them (deploy/cloudopt.yaml mounted as the config, the keys as files in /run/secrets), and
// checks through both: ready, a login made on one works on the other, the demo's resources, the image's HEALTHCHECK,
// the non-root user. Needs podman and mmdebstrap (scripts/install-deps.sh); skipped, saying why, where they are
// missing. The base image is built once (scripts/podman-base-image.sh) and kept in podman's storage.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/postgres_server.hpp"
#include "support/service.hpp"
#include "support/temp_dir.hpp"

namespace cloudopt {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kRepo = CLOUDOPT_REPO_DIR;
constexpr const char* kImage = "localhost/cloudopt-test:latest";
constexpr const char* kBase = "localhost/debian:12";

std::string Which(const std::string& name) {
    for (const char* dir : {"/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"}) {
        const std::string p = std::string(dir) + "/" + name;
        if (access(p.c_str(), X_OK) == 0) return p;
    }
    return "";
}

class ContainerImage : public ::testing::Test {
  protected:
    void SetUp() override {
        podman_ = Which("podman");
        if (podman_.empty())
            GTEST_SKIP() << "Container test skipped: podman is not installed (scripts/install-deps.sh)";
        if (Which("runc").empty())
            GTEST_SKIP() << "Container test skipped: runc is not installed (scripts/install-deps.sh)";
        if (Which("mmdebstrap").empty() && Podman({"image", "exists", kBase}, 60) != 0)
            GTEST_SKIP() << "Container test skipped: mmdebstrap is not installed and there is no " << kBase;
        if (!server_.available()) GTEST_SKIP() << "Container test skipped: PostgreSQL unavailable: " << server_.why();
        setenv("CONTAINERS_CONF", (std::string(kRepo) + "/deploy/test/containers.conf").c_str(), 1);
        name_ = "cloudopt-test-" + std::to_string(getpid());
    }
    void TearDown() override {
        for (int i = 1; i <= 2; ++i) Podman({"rm", "-f", "-v", "-t", "0", name_ + "-" + std::to_string(i)}, 60);
    }

    // Runs a command bounded by `seconds` (coreutils timeout); returns its exit code, its output in log().
    int Run(std::vector<std::string> args, int seconds) {
        args.insert(args.begin(), {"/usr/bin/timeout", "--kill-after=10", std::to_string(seconds)});
        std::string line;
        for (const auto& a : args) line += a + " ";
        { std::ofstream(dir_.File("commands.log"), std::ios::app) << line << "\n"; }
        std::error_code ec;
        fs::remove(dir_.File("last.log"), ec);
        const auto started = std::chrono::steady_clock::now();
        const int code = testing::RunToExit(args, dir_.File("last.log"));
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        std::ofstream(dir_.File("all.log"), std::ios::app)
            << "$ " << line << "\n"
            << log() << "\n[exit " << code << " after " << ms.count() / 1000.0 << " s]\n";
        return code;
    }
    int Podman(std::vector<std::string> args, int seconds) {
        args.insert(args.begin(), {podman_, "--runtime", "runc", "--storage-driver", "vfs"});
        return Run(std::move(args), seconds);
    }
    std::string log() const { return testing::ReadFile(dir_.File("last.log")); }
    std::string all() const { return testing::ReadFile(dir_.File("all.log")); }

    testing::PostgresServer& server_ = testing::PostgresServer::Shared();
    testing::TempDir dir_;
    std::string podman_;
    std::string name_;
};

std::set<std::string> ResourceNames(const std::string& body) {
    std::set<std::string> names;
    const json parsed = json::parse(body);
    for (const auto& r : parsed["resources"]) names.insert(r["name"].get<std::string>());
    return names;
}

TEST_F(ContainerImage, TwoContainersOnPostgresServeTheDemoThroughBoth) {
    // The base image: from podman's storage, or built once with mmdebstrap (about a minute).
    const auto base_started = std::chrono::steady_clock::now();
    const int base = Run({std::string(kRepo) + "/scripts/podman-base-image.sh", kBase}, 900);
    ASSERT_EQ(base, 0) << all();
    std::cout
        << "[ timing   ] base image ready in "
        << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - base_started).count()
        << " s" << std::endl;

    // The build context: the suite's binary (debug info stripped: the image needs the code, not 300 MB of DWARF),
    // the dashboard and the bundled data, laid out the way ARTIFACTS=prebuilt copies them.
    const fs::path ctx = dir_.File("context");
    fs::create_directories(ctx / "dashboard");
    fs::create_directories(ctx / "data");
    const fs::path dist = fs::path(kRepo) / "dashboard/dist";
    ASSERT_TRUE(fs::exists(dist / "index.html")) << "dashboard/dist is missing: make dashboard (make test builds it)";
    fs::copy(dist, ctx / "dashboard/dist", fs::copy_options::recursive);
    fs::copy(fs::path(kRepo) / "data/catalog", ctx / "data/catalog", fs::copy_options::recursive);
    fs::copy(fs::path(kRepo) / "data/demo", ctx / "data/demo", fs::copy_options::recursive);
    fs::copy(fs::path(kRepo) / "deploy/Dockerfile", ctx / "Dockerfile");
    ASSERT_EQ(Run({"/usr/bin/objcopy", "--strip-debug", CLOUDOPT_BINARY, (ctx / "cloudopt").string()}, 120), 0)
        << all();

    // The runtime stage only; the sanitizer build needs its runtimes in the image too. The previous run's image is
    // removed once this one is built (vfs keeps every layer as a full copy); the layers they share stay, as the cache.
    std::string previous;
    if (Podman({"image", "inspect", "--format", "{{.Id}}", kImage}, 60) == 0) previous = log();
    const auto build_started = std::chrono::steady_clock::now();
    ASSERT_EQ(Podman({"build",
                      "--format",
                      "docker",
                      "--network",
                      "host",
                      "--isolation",
                      "chroot",
                      "--build-arg",
                      std::string("BASE=") + kBase,
                      "--build-arg",
                      std::string("RUNTIME_BASE=") + kBase,
                      "--build-arg",
                      "ARTIFACTS=prebuilt",
                      "--build-arg",
                      "PREBUILT_BINARY=cloudopt",
                      "--build-arg",
                      "EXTRA_RUNTIME_PACKAGES=libasan8 libubsan1",
                      "-t",
                      kImage,
                      ctx.string()},
                     900),
              0)
        << all();
    std::cout
        << "[ timing   ] image built in "
        << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - build_started).count()
        << " s" << std::endl;
    if (Podman({"image", "inspect", "--format", "{{.Id}}", kImage}, 60) == 0 && !previous.empty() && log() != previous)
        Podman({"rmi", previous.substr(0, previous.find('\n'))}, 120);
    // The prebuilt stage's images (a copy of the binary each) are no part of the result.
    Podman({"image", "prune", "-f", "--filter", "label=org.cloudopt.stage=prebuilt"}, 120);

    // Secrets as Compose mounts them: files in /run/secrets readable by the image's user.
    const fs::path secrets = dir_.File("secrets");
    fs::create_directories(secrets);
    std::ofstream(secrets / "master_key") << std::string(64, 'a') << "\n";
    std::ofstream(secrets / "jwt_key") << std::string(64, 'b') << "\n";
    fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    fs::permissions(secrets, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    for (const char* f : {"master_key", "jwt_key"})
        fs::permissions(secrets / f, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);

    const std::string url = server_.FreshDatabase();  // postgres://USER@127.0.0.1:PORT/DB: host networking
    ASSERT_FALSE(url.empty());
    const unsigned short ports[2] = {testing::FreePort(), testing::FreePort()};
    ASSERT_NE(ports[0], ports[1]);
    // Replica 1 as Compose runs it; replica 2 also as deploy/kubernetes/deployment.yaml restricts it: a read-only root
    // filesystem with a writable /tmp and data volume, no privilege escalation, no capabilities.
    auto start = [&](int i) {
        std::vector<std::string> restricted;
        if (i == 2)
            restricted = {"--read-only", "--tmpfs", "/tmp", "--security-opt", "no-new-privileges", "--cap-drop", "ALL"};
        std::vector<std::string> args = {"run", "-d", "--name", name_ + "-" + std::to_string(i), "--network", "host"};
        args.insert(args.end(), restricted.begin(), restricted.end());
        std::vector<std::string> rest = {
            "-v",       std::string(kRepo) + "/deploy/cloudopt.yaml:/etc/cloudopt/cloudopt.yaml:ro",
            "-v",       secrets.string() + ":/run/secrets:ro",
            "-e",       "CLOUDOPT_SERVER_PORT=" + std::to_string(ports[i - 1]),
            "-e",       "CLOUDOPT_STORE_URL=" + url,
            "-e",       "CLOUDOPT_STORE_PASSWORD=" + server_.password(),
            "-e",       std::string("CLOUDOPT_ADMIN_PASSWORD=") + testing::kTestAdminPassword,
            "-e",       "ASAN_OPTIONS=detect_leaks=0",  // LeakSanitizer cannot ptrace inside the container
            kImage,     "serve",
            "--config", "/etc/cloudopt/cloudopt.yaml",
            "--demo",   "--speed",
            "1"};
        args.insert(args.end(), rest.begin(), rest.end());
        return Podman(args, 120);
    };
    // One after the other, as Compose starts them: the first creates the demo resources, the second finds them.
    ASSERT_EQ(start(1), 0) << all();
    auto ready1 = testing::PollFor(ports[0], "/readyz", 200, 180);
    Podman({"logs", name_ + "-1"}, 30);
    ASSERT_EQ(ready1.status, 200) << ready1.body << "\n" << all();
    ASSERT_EQ(start(2), 0) << all();
    auto ready2 = testing::PollFor(ports[1], "/readyz", 200, 180);
    Podman({"logs", name_ + "-2"}, 30);
    ASSERT_EQ(ready2.status, 200) << ready2.body << "\n" << all();
    std::cout
        << "[ timing   ] both replicas ready "
        << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - build_started).count()
        << " s after the build started" << std::endl;

    // One login, both replicas: the signing key is the shared file, the users the shared database.
    const std::string bearer = testing::LoginBearer(ports[0]);
    ASSERT_FALSE(bearer.empty()) << all();
    const std::set<std::string> demo = {"web-frontend", "api-gateway", "batch-workers", "checkout"};
    for (unsigned short port : ports) {
        auto resources = testing::PollFor(port, "/api/resources", 200, 30, bearer);
        ASSERT_EQ(resources.status, 200) << "port " << port << ": " << resources.body;
        EXPECT_EQ(ResourceNames(resources.body), demo) << "port " << port << ": " << resources.body;
        testing::HttpClient c(port);
        auto index = c.Get("/");
        EXPECT_EQ(index.status, 200) << "the dashboard is in the image";
        EXPECT_NE(index.body.find("<div id=\"root\""), std::string::npos) << index.body.substr(0, 300);
    }
    EXPECT_FALSE(testing::LoginBearer(ports[1]).empty()) << "the admin (made by replica 1) logs in on replica 2";

    // The image's own HEALTHCHECK passes, and the service runs as the unprivileged user.
    EXPECT_EQ(Podman({"healthcheck", "run", name_ + "-1"}, 60), 0) << all();
    EXPECT_EQ(Podman({"exec", name_ + "-1", "id", "-u"}, 60), 0) << all();
    EXPECT_EQ(log(), "10001\n");
    EXPECT_EQ(Podman({"image", "inspect", "--format", "{{.Config.Healthcheck.Test}}", kImage}, 60), 0) << all();
    EXPECT_NE(log().find("/healthz"), std::string::npos) << log();
}

}  // namespace
}  // namespace cloudopt
