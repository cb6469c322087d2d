#!/usr/bin/env bash
# Installs the Debian packages the build needs (only those missing, so a
# second run is quick) and builds everything into build/.
#   tools/setup.sh [--build-dir DIR] [--sanitize address|thread] [--release] [--no-bench]
#                  [--target NAME]...   (build only these targets; default all)
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
sanitize=""
build_type=RelWithDebInfo
bench=ON
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --sanitize) sanitize=$2; shift 2 ;;
    --release) build_type=Release; shift ;;
    --no-bench) bench=OFF; shift ;;
    --target) targets+=(--target "$2"); shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake ninja-build pkg-config git
  librocksdb-dev libflatbuffers-dev flatbuffers-compiler
  libboost-dev libboost-system-dev libpqxx-dev libpq-dev libxxhash-dev libspdlog-dev
  libcli11-dev nlohmann-json3-dev libhowardhinnant-date-dev libsodium-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev prometheus-cpp-dev python3
  postgresql-15 postgresql-client-15
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd=sudo
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" \
  -DLEDGER_SANITIZE="$sanitize" -DLEDGER_BUILD_BENCH="$bench" >/dev/null
cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
