#!/usr/bin/python3
"""Checks the dependency rule of docs/ARCHITECTURE.md on the sources: a module includes headers only from the
modules it may depend on, third-party headers stay where they belong (Boost.Beast only in the api server,
SQLite only in the store), and core includes no third-party library at all. Linking alone cannot catch a
header-only include, so this test reads the #include lines. Exit 1 with one line per violation."""
import pathlib
import re
import sys

ALLOWED = {
    "core": set(),
    "forecast": {"core"},
    "anomaly": {"core", "forecast"},
    "allocate": {"core"},
    "simulate": {"core", "forecast", "allocate"},
    "store": {"core"},
    "security": {"core"},
    "providers": {"core"},
    "monitor": {"core", "providers"},
    "keda": {"core"},
    "cluster": {"core", "store"},
    "control": {"core", "store", "cluster", "forecast", "allocate", "anomaly"},
    "api": {"core", "store", "cluster", "control", "security", "simulate", "monitor"},
    "app": {"core", "forecast", "anomaly", "allocate", "simulate", "store", "cluster", "control", "security", "providers", "monitor", "keda", "api"},
}
# Third-party headers and where they may appear (module, or module/file).
THIRD_PARTY = {
    "boost/beast": {"api/server.cpp"},
    "boost/asio": {"api/server.cpp"},
    "sqlite3.h": {"store"},
    "pqxx/": {"store"},
    "libpq-fe.h": {"store"},
    "nlohmann/": {"anomaly", "store", "cluster", "security", "providers", "monitor", "api", "app"},
    "sodium.h": {"security"},
    "jwt.h": {"security"},
    "openssl/": {"security", "providers", "api/server.cpp"},
    "curl/": {"providers"},
    "libxml/": {"providers"},
    "snappy": {"monitor"},
    "yaml-cpp/": {"app", "providers"},
    "CLI/": {"app"},
    "spdlog/": {"api", "app"},
    "Eigen/": {"forecast"},
    "grpcpp/": {"keda"},
    "grpc/": {"keda"},
    "externalscaler": {"keda"},
}

src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "src")
include = re.compile(r'#\s*include\s*[<"]([^>"]+)[>"]')
problems = []
for path in sorted(src.rglob("*.[ch]pp")):
    rel = path.relative_to(src).as_posix()
    module = rel.split("/")[0]
    if module not in ALLOWED:
        problems.append(f"{rel}: module '{module}' is not in the dependency table of tests/check_architecture.py")
        continue
    for line_no, line in enumerate(path.read_text().splitlines(), 1):
        m = include.match(line.strip())
        if not m:
            continue
        header = m.group(1)
        target = header.split("/")[0]
        if target in ALLOWED and target != module and target not in ALLOWED[module]:
            problems.append(f"{rel}:{line_no}: {module} must not include {header} (allowed: {sorted(ALLOWED[module])})")
        for prefix, places in THIRD_PARTY.items():
            if header.startswith(prefix) and module not in places and rel not in places:
                problems.append(f"{rel}:{line_no}: {header} belongs only in {sorted(places)}")
for p in problems:
    print(p)
print(f"architecture: {len(problems)} violation(s) in {src}")
sys.exit(1 if problems else 0)
