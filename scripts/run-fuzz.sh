#!/usr/bin/env bash
# Runs every libFuzzer target in build-fuzz/bin for a bounded time each (FUZZ_SECONDS, default
# 60), starting from its seed corpus in tests/fuzz/corpus/<name>/. New inputs go to a scratch
# directory, never into the repository. Exits non-zero on the first crash, leak or timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
shopt -s nullglob
targets=(build-fuzz/bin/fuzz_*)
if [ "${#targets[@]}" -eq 0 ]; then
  echo "run-fuzz: no fuzz targets in build-fuzz/bin" >&2
  exit 1
fi
for bin in "${targets[@]}"; do
  name="${bin##*/fuzz_}"
  mkdir -p "$scratch/$name" "$scratch/artifacts-$name"
  seeds=()
  [ -d "tests/fuzz/corpus/$name" ] && seeds=("tests/fuzz/corpus/$name")
  echo "fuzz: $name for ${seconds}s" >&2
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$scratch/artifacts-$name/" "$scratch/$name" "${seeds[@]}" \
      >"$scratch/$name.log" 2>&1; then
    tail -n 60 "$scratch/$name.log" >&2
    for a in "$scratch/artifacts-$name"/*; do
      echo "fuzz: $name crashing input (base64): $(base64 -w0 "$a")" >&2
    done
    echo "fuzz: $name FAILED" >&2
    exit 1
  fi
  grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$scratch/$name.log" | tail -n 2 >&2 || true
  echo "fuzz: $name passed" >&2
done
