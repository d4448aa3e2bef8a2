#!/usr/bin/env bash
# Runs the same MQTT load scenarios against edge-gateway and Mosquitto on this machine, side by
# side, and prints a markdown table of the medians over REPS repetitions.
#
#   cmake --preset default && cmake --build --preset default
#   tests/bench/broker_vs_mosquitto.sh
#
# Builds nothing: expects $BUILD_DIR/bin/edge-gateway and $BUILD_DIR/bin/mqtt_load.
# Environment (defaults in brackets):
#   BUILD_DIR  build directory, relative to the repository or absolute [build]
#   MOSQUITTO  the Mosquitto binary [/usr/sbin/mosquitto]
#   REPS       repetitions of every scenario [3]
#   DURATION   publish phase of each throughput scenario, seconds [3]
#   MAX_LOAD   before each repetition wait (at most LOAD_WAIT s) for the 1-minute load average to
#              drop below this [nproc + 1]
#   LOAD_WAIT  [60]
#   OUT        directory for results.jsonl, the broker logs and configs [a new mktemp -d]
#
# Every broker is started fresh for every run (so VmHWM is the peak of that run alone), on a
# loopback port, and killed by the trap whatever happens. Everything is bounded in time: mqtt_load
# stops by itself (publish phase + drain timeout), broker start-up waits at most 10 s.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
GATEWAY=$BUILD_DIR/bin/edge-gateway
LOAD=$BUILD_DIR/bin/mqtt_load
MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}
REPS=${REPS:-3}
DURATION=${DURATION:-3}
NPROC=$(nproc)
MAX_LOAD=${MAX_LOAD:-$((NPROC + 1))}
LOAD_WAIT=${LOAD_WAIT:-60}

for bin in "$GATEWAY" "$LOAD" "$MOSQUITTO"; do
  if [[ ! -x $bin ]]; then
    echo "broker_vs_mosquitto: $bin not found; build first: cmake --preset default && cmake --build --preset default" >&2
    exit 2
  fi
done
command -v python3 >/dev/null || { echo "broker_vs_mosquitto: python3 is needed for the table" >&2; exit 2; }

OUT=${OUT:-$(mktemp -d /tmp/broker-bench.XXXXXX)}
mkdir -p "$OUT"
# Mosquitto started as root switches to the 'mosquitto' user, which must be able to write its log.
chmod 0777 "$OUT"
RESULTS=$OUT/results.jsonl
: >"$RESULTS"

BROKER_PID=""
BROKER_PORT=""
cleanup() {
  if [[ -n $BROKER_PID ]]; then
    kill "$BROKER_PID" 2>/dev/null || true
    wait "$BROKER_PID" 2>/dev/null || true
    BROKER_PID=""
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for_log FILE REGEX: the first match of REGEX (extended) in FILE, waiting at most 10 s.
wait_for_log() {
  local file=$1 regex=$2 deadline=$((SECONDS + 10)) line
  while ((SECONDS < deadline)); do
    if [[ -n $BROKER_PID ]] && ! kill -0 "$BROKER_PID" 2>/dev/null; then break; fi
    line=$(grep -Eo "$regex" "$file" 2>/dev/null | head -n1 || true)
    if [[ -n $line ]]; then
      echo "$line"
      return 0
    fi
    sleep 0.05  # polling a log file for readiness, with the deadline above
  done
  echo "broker_vs_mosquitto: broker did not start; log $file:" >&2
  cat "$file" >&2 || true
  return 1
}

start_edge_gateway() {
  local tag=$1
  local conf=$OUT/$tag.yaml log=$OUT/$tag.log
  mkdir -p "$OUT/$tag-data"
  cat >"$conf" <<EOF
gateway:
  id: bench
  data_dir: $OUT/$tag-data
  log_level: info
broker:
  listeners:
    - bind: 127.0.0.1:0
EOF
  "$GATEWAY" run --config "$conf" >"$log" 2>&1 &
  BROKER_PID=$!
  local line
  line=$(wait_for_log "$log" 'listening on 127\.0\.0\.1:[0-9]+') || return 1
  BROKER_PORT=${line##*:}
}

start_mosquitto() {
  local tag=$1
  local conf=$OUT/$tag.conf log=$OUT/$tag.log
  BROKER_PORT=$(free_port)
  : >"$log"
  chmod 0666 "$log"
  cat >"$conf" <<EOF
listener $BROKER_PORT 127.0.0.1
allow_anonymous true
persistence false
log_dest file $log
log_type error
log_type warning
log_type notice
log_type information
connection_messages false
EOF
  "$MOSQUITTO" -c "$conf" >>"$OUT/$tag.stderr" 2>&1 &
  BROKER_PID=$!
  wait_for_log "$log" 'mosquitto version [0-9.]+ running' >/dev/null || return 1
}

stop_broker() { cleanup; }

# Scenario name and its mqtt_load arguments.
SCENARIOS=(
  "a fan-in 10->1 QoS 0|--publishers 10 --subscribers 1 --qos 0 --duration $DURATION"
  "b fan-in 10->1 QoS 1|--publishers 10 --subscribers 1 --qos 1 --duration $DURATION --max-backlog 500"
  "b' fan-in 10->1 QoS 1, open loop|--publishers 10 --subscribers 1 --qos 1 --duration $DURATION"
  "c fan-out 1->50 QoS 0|--publishers 1 --subscribers 50 --qos 0 --duration $DURATION"
  "d latency 1->1 QoS 1 at 5k msg/s|--publishers 1 --subscribers 1 --qos 1 --rate 5000 --duration $DURATION"
  "e 1000 idle connections|--publishers 0 --subscribers 0 --idle 1000 --hold 2"
)
BROKERS=(edge-gateway mosquitto)

wait_for_quiet_machine() {
  local deadline=$((SECONDS + LOAD_WAIT)) load
  while :; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    if python3 -c "import sys; sys.exit(0 if $load < $MAX_LOAD else 1)"; then return 0; fi
    if ((SECONDS >= deadline)); then
      echo "# warning: load average $load is above $MAX_LOAD; running anyway" >&2
      return 0
    fi
    sleep 5  # waiting for other people's compiles to finish, bounded by LOAD_WAIT
  done
}

echo "# broker_vs_mosquitto: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r)" >&2
echo "# edge-gateway $("$GATEWAY" --version 2>&1 | head -n1), $("$MOSQUITTO" -h 2>&1 | head -n1 || true)" >&2
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg); results in $RESULTS" >&2

for ((rep = 1; rep <= REPS; ++rep)); do
  wait_for_quiet_machine
  for scenario in "${SCENARIOS[@]}"; do
    name=${scenario%%|*}
    args=${scenario#*|}
    # Alternate which broker goes first, so a drift in machine load does not favour one.
    if ((rep % 2 == 1)); then order=("${BROKERS[@]}"); else order=(mosquitto edge-gateway); fi
    for broker in "${order[@]}"; do
      tag="$broker-r$rep-${name%% *}"
      tag=${tag//\'/p}
      if [[ $broker == edge-gateway ]]; then start_edge_gateway "$tag"; else start_mosquitto "$tag"; fi
      set +e
      # shellcheck disable=SC2086  # $args is a list of options
      output=$("$LOAD" --port "$BROKER_PORT" --broker-pid "$BROKER_PID" --label "$broker" $args)
      rc=$?
      set -e
      stop_broker
      json=$(head -n1 <<<"$output")
      echo "# rep $rep [$name] rc=$rc $(tail -n1 <<<"$output")" >&2
      printf '{"scenario":"%s","rep":%d,"rc":%d,"result":%s}\n' "$name" "$rep" "$rc" "$json" >>"$RESULTS"
    done
  done
done

echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

python3 - "$RESULTS" <<'EOF'
import json, statistics, sys
from collections import OrderedDict, defaultdict

runs = defaultdict(list)
order = OrderedDict()
for line in open(sys.argv[1]):
    row = json.loads(line)
    order[row["scenario"]] = True
    runs[(row["scenario"], row["result"]["label"])].append(row)

def med(rows, f):
    vals = [v for v in (f(r["result"]) for r in rows) if v is not None]
    return statistics.median(vals) if vals else None

def rate(v):
    if v is None: return "-"
    return f"{v/1e6:.2f} M" if v >= 1e6 else f"{v/1e3:.0f} k"

def us(v):
    if v is None: return "-"
    return f"{v/1000:.1f} ms" if v >= 1000 else f"{v:.0f} µs"

def num(v, fmt="{:.2f}"):
    return "-" if v is None else fmt.format(v)

def cpu(r):
    b, a = r.get("broker_connected"), r.get("broker_after")
    if not b or not a or r["delivered"] == 0: return None
    return (a["cpu_s"] - b["cpu_s"]) * 1e6 / r["delivered"]

print(f"Medians of {max(len(v) for v in runs.values())} runs per cell; "
      "msg/s = messages per second; latency = publisher send to subscriber receipt.\n")
print("| scenario | broker | published msg/s | delivered msg/s | delivered / expected | p50 | p99 | max "
      "| broker CPU µs/msg | broker peak RSS | load avg |")
print("|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|")
for scenario in order:
    if "idle" in scenario: continue
    for broker in ("edge-gateway", "mosquitto"):
        rows = runs.get((scenario, broker), [])
        if not rows: continue
        ok = [r for r in rows if r["result"]["setup_ok"]]
        exp = med(ok, lambda r: r["expected"])
        dl = med(ok, lambda r: r["delivered"])
        loss = med(ok, lambda r: 100.0 * (r["expected"] - r["delivered"]) / r["expected"] if r["expected"] else None)
        exact = sum(1 for r in ok if r["result"]["exact"])
        qos = ok[0]["result"]["qos"] if ok else 0
        if qos == 0:
            dcol = f"loss {num(loss)} %"
        else:
            dcol = f"exact {exact}/{len(rows)}" + ("" if exact == len(rows) else f", loss {num(loss)} %")
        print(f"| {scenario} | {broker} | {rate(med(ok, lambda r: r['publish_rate']))} "
              f"| {rate(med(ok, lambda r: r['deliver_rate']))} | {dcol} "
              f"| {us(med(ok, lambda r: r['latency_us']['p50']))} | {us(med(ok, lambda r: r['latency_us']['p99']))} "
              f"| {us(med(ok, lambda r: r['latency_us']['max']))} | {num(med(ok, cpu))} "
              f"| {num(med(ok, lambda r: r['broker_after']['hwm_kb'] / 1024 if r.get('broker_after') else None), '{:.1f} MiB')} "
              f"| {num(med(rows, lambda r: r['loadavg']))} |")

print()
print("| 1000 idle connections | broker | RSS before | RSS with 1000 connected | per connection | peak RSS | load avg |")
print("|---|---|---:|---:|---:|---:|---:|")
for scenario in order:
    if "idle" not in scenario: continue
    for broker in ("edge-gateway", "mosquitto"):
        rows = [r for r in runs.get((scenario, broker), []) if r["result"]["setup_ok"]]
        if not rows: continue
        before = med(rows, lambda r: r["broker_before"]["rss_kb"] / 1024)
        conn = med(rows, lambda r: r["broker_connected"]["rss_kb"] / 1024)
        per = med(rows, lambda r: (r["broker_connected"]["rss_kb"] - r["broker_before"]["rss_kb"]) / r["idle"])
        peak = med(rows, lambda r: r["broker_after"]["hwm_kb"] / 1024)
        print(f"| {scenario} | {broker} | {before:.1f} MiB | {conn:.1f} MiB | {per:.1f} KiB | {peak:.1f} MiB "
              f"| {num(med(rows, lambda r: r['loadavg']))} |")
EOF
