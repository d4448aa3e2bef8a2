#!/usr/bin/env bash
# Profiles one broker during one mqtt_load run, for docs/performance.md:
#
#   tests/bench/load/profile_broker.sh perf      edge|mosquitto  <mqtt_load options>
#   tests/bench/load/profile_broker.sh heaptrack edge            <mqtt_load options>
#
#   e.g. ... perf edge --publishers 10 --subscribers 1 --qos 0 --duration 3
#        ... perf mosquitto --publishers 0 --subscribers 0 --connect-cycles 10000 --parallel 8
#        ... heaptrack edge --publishers 0 --subscribers 0 --idle 2000 --hold 3
#
# perf: `perf record -F 2000 -g -p <broker>` for the length of the run, then self time by DSO and by
# symbol. heaptrack: the broker runs under heaptrack, is stopped with SIGTERM after the run, and
# the peak memory consumers are printed (divide by the connection count for bytes per connection);
# the allocation size histogram of the whole run is written to $OUT/histogram.txt.
# Environment: BUILD_DIR [build], MOSQUITTO [/usr/sbin/mosquitto], OUT [a new mktemp -d].
# Loopback only; the broker (and perf) are killed by the trap; the run is bounded by mqtt_load.
set -euo pipefail

TOOL=${1:?perf or heaptrack}
BROKER=${2:?edge or mosquitto}
shift 2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}
OUT=${OUT:-$(mktemp -d /tmp/broker-profile.XXXXXX)}
mkdir -p "$OUT"
chmod 0777 "$OUT"
ulimit -n "$(ulimit -Hn)"
case $TOOL/$BROKER in
  perf/edge | perf/mosquitto | heaptrack/edge) ;;
  *) echo "profile_broker: perf edge|mosquitto, or heaptrack edge" >&2; exit 2 ;;
esac

PID=""     # what we started (heaptrack wraps the broker)
TARGET=""  # the broker process itself
PERF=""
cleanup() {
  [[ -n $PERF ]] && kill -INT "$PERF" 2>/dev/null && wait "$PERF" 2>/dev/null
  [[ -n $TARGET ]] && kill "$TARGET" 2>/dev/null
  [[ -n $PID ]] && wait "$PID" 2>/dev/null
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wrap=()
[[ $TOOL == heaptrack ]] && wrap=(heaptrack -o "$OUT/heaptrack.broker")
if [[ $BROKER == edge ]]; then
  mkdir -p "$OUT/data"
  printf 'gateway:\n  id: profile\n  data_dir: %s\n  log_level: info\nbroker:\n  listeners:\n    - bind: 127.0.0.1:0\n  max_connections: 20000\n  max_connect_rate: 0\n' \
    "$OUT/data" >"$OUT/broker.yaml"
  "${wrap[@]}" "$BUILD_DIR/bin/edge-gateway" run --config "$OUT/broker.yaml" >"$OUT/broker.log" 2>&1 &
  PID=$!
  ready='listening on 127\.0\.0\.1:[0-9]+'
else
  PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  : >"$OUT/broker.log"
  chmod 0666 "$OUT/broker.log"
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest file %s\nlog_type all\n' \
    "$PORT" "$OUT/broker.log" >"$OUT/broker.conf"
  "$MOSQUITTO" -c "$OUT/broker.conf" >"$OUT/broker.stderr" 2>&1 &
  PID=$!
  ready='mosquitto version [0-9.]+ running'
fi
deadline=$((SECONDS + 20))
until grep -Eq "$ready" "$OUT/broker.log" 2>/dev/null; do
  if ((SECONDS >= deadline)) || ! kill -0 "$PID" 2>/dev/null; then
    echo "profile_broker: broker did not start" >&2
    cat "$OUT/broker.log" >&2
    exit 1
  fi
  sleep 0.1  # readiness poll, bounded by the deadline
done
if [[ $BROKER == edge ]]; then
  line=$(grep -Eo "$ready" "$OUT/broker.log" | head -n1)
  PORT=${line##*:}
fi
TARGET=$(pgrep -P "$PID" -x edge-gateway || echo "$PID")

if [[ $TOOL == perf ]]; then
  perf record -F 2000 -g -p "$TARGET" -o "$OUT/perf.data" >/dev/null 2>&1 &
  PERF=$!
  sleep 0.3  # let perf attach; not a synchronisation of the broker
fi
"$BUILD_DIR/bin/mqtt_load" --port "$PORT" --broker-pid "$TARGET" --label "$BROKER" "$@" | tail -n1
if [[ -n $PERF ]]; then kill -INT "$PERF"; wait "$PERF" || true; PERF=""; fi
kill "$TARGET"
wait "$PID" || true
PID="" TARGET=""

if [[ $TOOL == perf ]]; then
  perf report -i "$OUT/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -n 8
  perf report -i "$OUT/perf.data" --no-children --sort sym --stdio 2>/dev/null | grep -E '^ +[0-9]' | cut -c1-160 | head -n 30
else
  heaptrack_print -f "$OUT"/heaptrack.broker.* --print-peaks 1 --print-allocators 0 --print-temporary 0 \
    --print-leaks 0 --print-histogram "$OUT/histogram.txt" -n 20 -s 0 2>/dev/null |
    grep -E 'peak memory consumed over|^  at .*/(broker|gateway|core|config)/|peak heap memory' | head -n 80
fi
echo "# data in $OUT" >&2
