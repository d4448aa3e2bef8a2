#!/usr/bin/env bash
# Runs the same MQTT load scenarios against edge-gateway and Mosquitto on this machine, side by
# side, in one run, and prints markdown tables of the medians over REPS repetitions, with the
# ratio edge-gateway / Mosquitto and a verdict against the project's targets.
#
#   cmake --preset default && cmake --build --preset default
#   tests/bench/broker_vs_mosquitto.sh
#
# Builds nothing: expects $BUILD_DIR/bin/edge-gateway and $BUILD_DIR/bin/mqtt_load.
# Environment (defaults in brackets):
#   BUILD_DIR      build directory, relative to the repository or absolute [build]
#   MOSQUITTO      the Mosquitto binary [/usr/sbin/mosquitto]
#   REPS           repetitions of every scenario [3]
#   DURATION       publish phase of each throughput scenario, seconds [3]
#   FANOUT_PROCS   mqtt_load processes sharing the 100 fan-out subscribers [2]
#   IDLE_MAX       the large idle-connection scenario [10000, lowered to fit `ulimit -Hn`]
#   CYCLES         connect cycles per connect-rate run [10000]
#   ONLY           run only scenarios whose id (a, a', b, ..., f2) is in this space-separated list
#   MAX_LOAD       before each repetition wait (at most LOAD_WAIT s) for the 1-minute load average to
#                  drop below this [nproc + 1]
#   LOAD_WAIT      [60]
#   OUT            directory for results.jsonl, the broker logs and configs [a new mktemp -d]
#
# Every broker is started fresh for every run (so VmHWM is the peak of that run alone), on a
# 127.0.0.1 port, and killed by the trap whatever happens, together with any helper mqtt_load.
# Everything is bounded in time and count: mqtt_load stops by itself (publish phase + drain
# timeout, cycle count + timeout), broker start-up and helper readiness wait at most 10 / 30 s.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
GATEWAY=$BUILD_DIR/bin/edge-gateway
LOAD=$BUILD_DIR/bin/mqtt_load
MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}
REPS=${REPS:-3}
DURATION=${DURATION:-3}
FANOUT_PROCS=${FANOUT_PROCS:-2}
IDLE_MAX=${IDLE_MAX:-10000}
CYCLES=${CYCLES:-10000}
ONLY=${ONLY:-}
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
((100 % FANOUT_PROCS == 0)) || { echo "broker_vs_mosquitto: FANOUT_PROCS must divide 100" >&2; exit 2; }

# One descriptor per connection in the broker and in mqtt_load (separate processes), plus slack.
# The soft limit is raised to the hard one; if that is still too low the idle scenario shrinks.
ulimit -n "$(ulimit -Hn)"
fd_limit=$(ulimit -n)
if [[ $fd_limit != unlimited ]] && ((IDLE_MAX > fd_limit - 200)); then
  echo "# fd limit $fd_limit: the large idle scenario uses $((fd_limit - 200)) connections instead of $IDLE_MAX" >&2
  IDLE_MAX=$((fd_limit - 200))
fi

OUT=${OUT:-$(mktemp -d /tmp/broker-bench.XXXXXX)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)  # absolute: later steps may change directory
# Mosquitto started as root switches to the 'mosquitto' user, which must be able to write its log.
chmod 0777 "$OUT"
RESULTS=$OUT/results.jsonl
: >"$RESULTS"

BROKER_PID=""
BROKER_PORT=""
HELPER_PIDS=()
cleanup() {
  local pid
  for pid in "${HELPER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${HELPER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  HELPER_PIDS=()
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
  # max_connections is raised above its default of 1024 for the idle scenario, and the per-address
  # connect rate is lifted (every load client comes from 127.0.0.1); Mosquitto limits neither by
  # default. Everything else is the default.
  cat >"$conf" <<EOF
gateway:
  id: bench-gateway
  data_dir: $OUT/$tag-data
  log_level: info
broker:
  listeners:
    - bind: 127.0.0.1:0
  max_connections: $((IDLE_MAX + 1000))
  max_connect_rate: 0
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

# id|description|kind|mqtt_load arguments. kind: run (one mqtt_load), fanout (the subscribers
# split over FANOUT_PROCS mqtt_load processes, the publisher in the first), cycles (connect rate).
# "open loop" = publishers send as fast as the broker reads; under overload a broker may drop
# (QoS 0 always may; QoS 1 once its queue limit is reached), so the delivered rate and the loss
# count. "closed loop" = publishers pause while 500 messages per subscriber are sent but not yet
# received, so no queue limit is reached and both brokers must deliver exactly: the fair figure.
FANOUT_SUBS=$((100 / FANOUT_PROCS))
SCENARIOS=(
  "a|fan-in 10->1 QoS 0, open loop|run|--publishers 10 --subscribers 1 --qos 0 --duration $DURATION"
  "a'|fan-in 10->1 QoS 0, closed loop|run|--publishers 10 --subscribers 1 --qos 0 --duration $DURATION --max-backlog 500"
  "b|fan-in 10->1 QoS 1, open loop|run|--publishers 10 --subscribers 1 --qos 1 --duration $DURATION"
  "b'|fan-in 10->1 QoS 1, closed loop|run|--publishers 10 --subscribers 1 --qos 1 --duration $DURATION --max-backlog 500"
  "c|fan-out 1->100 QoS 0, open loop|fanout|--qos 0 --duration $DURATION"
  "c'|fan-out 1->100 QoS 0, closed loop|fanout|--qos 0 --duration $DURATION --max-backlog 500"
  "d|latency 1->1 QoS 1 at 5k msg/s|run|--publishers 1 --subscribers 1 --qos 1 --rate 5000 --duration $DURATION"
  "e1|1000 idle connections|run|--publishers 0 --subscribers 0 --idle 1000 --hold 2 --setup-timeout 60"
  "e2|$IDLE_MAX idle connections|run|--publishers 0 --subscribers 0 --idle $IDLE_MAX --hold 2 --setup-timeout 120"
  "f1|connects/s, sequential|cycles|--publishers 0 --subscribers 0 --connect-cycles $CYCLES --parallel 1 --timeout 60"
  "f2|connects/s, 8 in parallel|cycles|--publishers 0 --subscribers 0 --connect-cycles $CYCLES --parallel 8 --timeout 60"
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

# run_fanout TAG LABEL ARGS...: FANOUT_PROCS mqtt_load processes, FANOUT_SUBS subscribers each;
# the receive-only helpers first (waiting until they are subscribed), then the one with the
# publisher, which measures the broker. Prints one merged JSON line.
run_fanout() {
  local tag=$1 label=$2
  shift 2
  local k deadline files=()
  HELPER_PIDS=()
  for ((k = 1; k < FANOUT_PROCS; ++k)); do
    rm -f "$OUT/$tag.ready$k"
    "$LOAD" --port "$BROKER_PORT" --label "$label" --publishers 0 --subscribers "$FANOUT_SUBS" \
      --remote-publishers 1 --ready-file "$OUT/$tag.ready$k" --timeout 60 "$@" >"$OUT/$tag.helper$k.out" &
    HELPER_PIDS+=($!)
    files+=("$OUT/$tag.helper$k.out")
  done
  deadline=$((SECONDS + 30))
  for ((k = 1; k < FANOUT_PROCS; ++k)); do
    until [[ -e $OUT/$tag.ready$k ]] || ((SECONDS >= deadline)); do
      sleep 0.05  # helper readiness (its subscriptions are acknowledged), bounded by the deadline
    done
  done
  local rc=0
  "$LOAD" --port "$BROKER_PORT" --broker-pid "$BROKER_PID" --label "$label" --publishers 1 \
    --subscribers "$FANOUT_SUBS" "$@" >"$OUT/$tag.main.out" || rc=$?
  for k in "${!HELPER_PIDS[@]}"; do wait "${HELPER_PIDS[$k]}" || rc=$((rc ? rc : $?)); done
  HELPER_PIDS=()
  python3 - "$OUT/$tag.main.out" "${files[@]}" <<'EOF'
import json, sys
main = json.loads(open(sys.argv[1]).readline())
helpers = [json.loads(open(f).readline()) for f in sys.argv[2:]]
procs = [main] + helpers
main["subscribers"] = sum(p["subscribers"] for p in procs)
main["generator_procs"] = len(procs)
main["setup_ok"] = all(p["setup_ok"] for p in procs)
main["expected"] = main["published"] * main["subscribers"]
for k in ("delivered", "duplicates", "gaps", "downgraded", "closed_by_broker"):
    main[k] = sum(p[k] for p in procs)
main["lost"] = main["expected"] - main["delivered"]
main["exact"] = main["lost"] == 0 and main["duplicates"] == 0 and main["downgraded"] == 0
main["deliver_s"] = max(p["deliver_s"] for p in procs)
main["deliver_rate"] = main["delivered"] / main["deliver_s"] if main["deliver_s"] > 0 else 0
main["load_cpu_s_per_proc"] = [p["load_cpu_s"] for p in procs]
main["load_cpu_s"] = sum(p["load_cpu_s"] for p in procs)
main["latency_us"]["p99"] = max(p["latency_us"]["p99"] for p in procs)
main["latency_us"]["max"] = max(p["latency_us"]["max"] for p in procs)
if main["delivered"] > 0 and main["broker_cpu_s"] >= 0:
    main["broker_cpu_us_per_msg"] = main["broker_cpu_s"] * 1e6 / main["delivered"]
print(json.dumps(main, separators=(",", ":")))
print(f"{main['label']}: fan-out over {len(procs)} mqtt_load processes | published {main['published']} "
      f"delivered {main['delivered']}/{main['expected']} ({main['deliver_rate']:.0f}/s) "
      f"loss {100.0 * main['lost'] / max(main['expected'], 1):.2f}% | mqtt_load CPU "
      f"{'+'.join(f'{c:.2f}' for c in main['load_cpu_s_per_proc'])} s, broker CPU {main['broker_cpu_s']:.2f} s")
EOF
  return "$rc"
}

echo "# broker_vs_mosquitto: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r), fd limit $(ulimit -n)" >&2
echo "# edge-gateway $("$GATEWAY" --version 2>&1 | head -n1), $("$MOSQUITTO" -h 2>&1 | head -n1 || true)" >&2
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg); results in $RESULTS" >&2

for ((rep = 1; rep <= REPS; ++rep)); do
  wait_for_quiet_machine
  for scenario in "${SCENARIOS[@]}"; do
    IFS='|' read -r id desc kind args <<<"$scenario"
    if [[ -n $ONLY && " $ONLY " != *" $id "* ]]; then continue; fi
    # Alternate which broker goes first, so a drift in machine load does not favour one.
    if ((rep % 2 == 1)); then order=("${BROKERS[@]}"); else order=(mosquitto edge-gateway); fi
    for broker in "${order[@]}"; do
      tag="$broker-r$rep-$id"
      tag=${tag//\'/p}
      if [[ $broker == edge-gateway ]]; then start_edge_gateway "$tag"; else start_mosquitto "$tag"; fi
      # Not in a $(...) subshell: the helpers' pids must stay visible to the trap.
      set +e
      if [[ $kind == fanout ]]; then
        # shellcheck disable=SC2086  # $args is a list of options
        run_fanout "$tag" "$broker" $args >"$OUT/$tag.out"
      else
        # shellcheck disable=SC2086
        "$LOAD" --port "$BROKER_PORT" --broker-pid "$BROKER_PID" --label "$broker" $args >"$OUT/$tag.out"
      fi
      rc=$?
      set -e
      stop_broker
      output=$(cat "$OUT/$tag.out")
      json=$(head -n1 <<<"$output")
      [[ $json == \{* ]] || json='{"label":"'$broker'","setup_ok":false,"error":"no output"}'
      echo "# rep $rep [$id $desc] rc=$rc $(tail -n1 <<<"$output")" >&2
      printf '{"id":"%s","scenario":"%s","kind":"%s","rep":%d,"rc":%d,"result":%s}\n' \
        "$id" "$desc" "$kind" "$rep" "$rc" "$json" >>"$RESULTS"
    done
  done
done

echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

python3 "$ROOT/tests/bench/load/report.py" "$RESULTS"
