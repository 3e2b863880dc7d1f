#!/usr/bin/env bash
# Installs what cloudopt needs to build, test and run on Debian 12, skipping what is already there.
# Run as root (make demo / make test call it). Safe to run again.
set -euo pipefail

packages=(
  build-essential cmake ccache pkg-config git curl python3
  libboost-dev nlohmann-json3-dev libeigen3-dev libsqlite3-dev sqlite3 libspdlog-dev libfmt-dev libcli11-dev
  libyaml-cpp-dev libxml2-dev libssl-dev openssl libsodium-dev libjwt-dev libcurl4-openssl-dev libgtest-dev libgmock-dev
  libbenchmark-dev wrk prometheus libprotobuf-dev protobuf-compiler libsnappy-dev libgrpc++-dev protobuf-compiler-grpc
  libpqxx-dev libpq-dev postgresql-15
  clang libclang-rt-dev chromium
  python3-yaml podman runc mmdebstrap podman-compose
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# Node.js 20+ for the dashboard build (Debian 12's own nodejs is 18; keep a newer one when it is there).
command -v node >/dev/null && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "cloudopt: missing packages: ${missing[*]}" >&2
    echo "cloudopt: run as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "cloudopt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
