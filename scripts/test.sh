#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine:
#   1. installs missing packages (scripts/setup.sh),
#   2. builds and runs the unit and integration tests (ctest) in the normal build,
#   3. builds and runs them again under AddressSanitizer + UndefinedBehaviorSanitizer,
#   4. builds every libFuzzer target and runs each for FUZZ_SECONDS (default 60).
# Exits non-zero on any failure. The last line is "summary: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
status=0

step() { printf '\n=== %s ===\n' "$*" >&2; }

run_ctest() {
  local preset="$1" log
  log="$(mktemp)"
  ctest --preset "$preset" -j "${GW_JOBS:-$(nproc)}" --timeout 300 --no-tests=error 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local line total nfail
  line="$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)"
  if [ -n "$line" ]; then
    nfail="$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")"
    total="$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")"
    passed=$((passed + total - nfail))
    failed=$((failed + nfail))
  elif [ "$rc" -ne 0 ]; then
    failed=$((failed + 1))
  fi
  rm -f "$log"
  return "$rc"
}

step "setup"
bash scripts/setup.sh || exit 1

step "build (RelWithDebInfo)"
if bash scripts/build.sh default; then
  step "tests (RelWithDebInfo)"
  run_ctest default || status=1
else
  echo "build failed" >&2; failed=$((failed + 1)); status=1
fi

step "build (ASan + UBSan)"
if bash scripts/build.sh asan; then
  step "tests (ASan + UBSan)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_ctest asan || status=1
else
  echo "asan build failed" >&2; failed=$((failed + 1)); status=1
fi

step "fuzz (${FUZZ_SECONDS:-60}s per target)"
if bash scripts/build.sh fuzz; then
  shopt -s nullglob
  nfuzz=$(ls build-fuzz/bin/fuzz_* 2>/dev/null | wc -l)
  if bash scripts/run-fuzz.sh; then
    passed=$((passed + nfuzz))
  else
    failed=$((failed + 1)); status=1
  fi
else
  echo "fuzz build failed" >&2; failed=$((failed + 1)); status=1
fi

echo
echo "summary: ${passed} passed, ${failed} failed"
exit "$status"
