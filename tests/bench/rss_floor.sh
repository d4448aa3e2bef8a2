#!/usr/bin/env bash
# The RSS floor: how much resident memory a C++ program that does nothing has on this machine,
# linked as the gateway is linked, next to the gateway's own idle RSS. It shows how much of the
# gateway's idle RSS is the price of its shared libraries rather than its own work.
#
#   tests/bench/rss_floor.sh [BUILD_DIR]      (default: build)
#
# Builds one small program (print a line, then wait) three ways: against libstdc++ only; against
# every shared library the gateway binary needs (readelf -d: its NEEDED entries, linked with
# --no-as-needed so each is loaded although the program calls none of them); and fully static.
# Then starts the gateway with a broker-only configuration on a free loopback port. Prints VmRSS,
# RssAnon and RssFile of each, one line each. Bounded: every program is stopped after sampling.
set -euo pipefail
cd "$(dirname "$0")/../.."
build_dir="${1:-build}"
gateway="$build_dir/bin/edge-gateway"
[[ -x "$gateway" ]] || { echo "rss_floor: $gateway not built" >&2; exit 2; }

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/idle.cpp" <<'EOF'
#include <unistd.h>
#include <iostream>
#include <string>
int main() {
  std::string s = "idle";
  std::cout << s << std::endl;
  pause();
}
EOF

# -l flags for the gateway's NEEDED libraries (libfoo.so.N -> the file itself, by path).
deps=()
cache="$(ldconfig -p)"
while read -r lib; do
  path="$(awk -v l="$lib" '$1 == l {print $NF; exit}' <<<"$cache")"
  [[ -n "$path" ]] && deps+=("$path")
done < <(readelf -d "$gateway" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')

g++ -O2 "$work/idle.cpp" -o "$work/libstdcxx-only"
g++ -O2 "$work/idle.cpp" -o "$work/gateway-libraries" -Wl,--no-as-needed "${deps[@]}"
g++ -O2 -static "$work/idle.cpp" -o "$work/static"

# Waits (bounded) until the process has printed its first line, then prints its memory.
sample() {
  local name="$1" pid="$2" log="$3" ready="$4"
  for _ in $(seq 1 100); do
    grep -q "$ready" "$log" 2>/dev/null && break
    sleep 0.1
  done
  sleep 1  # let start-up threads settle; this samples, it does not synchronise
  printf '%-40s %s\n' "$name" "$(grep -E '^(VmRSS|RssAnon|RssFile)' "/proc/$pid/status" | tr -s ' \t' ' ' | tr '\n' ' ')"
}

echo "rss_floor: the gateway needs ${#deps[@]} shared libraries: ${deps[*]##*/}"
for b in libstdcxx-only gateway-libraries static; do
  "$work/$b" >"$work/$b.log" 2>&1 &
  pids+=($!)
  sample "does nothing, $b" "$!" "$work/$b.log" idle
done

mkdir -p "$work/data"
cat >"$work/gateway.yaml" <<EOF
gateway:
  id: rss-floor
  data_dir: $work/data
broker:
  listeners:
    - bind: 127.0.0.1:0
EOF
"$gateway" run --config "$work/gateway.yaml" >"$work/gateway.log" 2>&1 &
pids+=($!)
sample "edge-gateway, broker only" "$!" "$work/gateway.log" "listening on"
