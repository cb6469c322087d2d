#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, then runs ctest.
#   tools/test.sh [extra ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 600 "$@"
