#!/usr/bin/env bash
# Configures and builds one variant: default (RelWithDebInfo, build/), asan (build-asan/) or
# fuzz (build-fuzz/, clang + libFuzzer). Extra arguments go to `cmake --build` (e.g. --target X).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"
shift || true
jobs="${GW_JOBS:-$(nproc)}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$jobs" "$@"
