#!/usr/bin/env bash
# The bridge's outage benchmark, end to end with the real programs: `edge-gateway run` stores
# MESSAGES messages while its uplink is down, then drains them to a loopback Mosquitto, where a
# subscriber counts them and checks their order. Prints the append rate, the drain rate and the
# gateway's RSS (start, max, end of the outage, after the drain).
#
#   tests/bench/bridge_outage.sh [BUILD_DIR]            (default: build)
#
# Environment:
#   MODE=drain        (default) 1,000,000 messages of 100 bytes
#   MODE=backlog      1,000,000 messages of 1 KiB (a backlog of about 1 GiB); fails unless the
#                     RSS stays within RSS_TOLERANCE_KIB while the backlog grows (over the sample
#                     a tenth into the outage, after the start-up allocations)
#   MODE=latency      no outage: end-to-end latency local publish -> cloud subscriber while the
#                     uplink is connected, the gateway's bridge and Mosquitto's own bridge (a
#                     local Mosquitto with a `connection` to the same cloud) side by side, one
#                     after the other at each rate, after a baseline without a bridge; see
#                     "Latency mode" below
#   RATES="1000 5000" (latency) the publish rates, msg/s, each run DURATION seconds per bridge
#   DURATION=10       (latency) seconds of publishing per rate and bridge
#   MESSAGES, PAYLOAD override the mode's sizes (PAYLOAD >= 16 bytes: mqtt_load's header)
#   PUBLISH_RATE=N    messages/s the local publisher offers (drain: 50000, which the whole chain
#                     sustains here for 1M rows; backlog: 20000, for 1 KiB rows): the broker
#                     acknowledges a QoS 1 PUBLISH once the bridge's hand-off queue has it, so an
#                     unthrottled publisher would measure that queue (bridge.queue_capacity), not
#                     the outbox, and overflow it; 0 = as fast as possible
#   CLOUD_INFLIGHT=N  the cloud Mosquitto's max_inflight_messages (its Receive Maximum to the
#                     gateway); empty = Mosquitto's default (20). With CLOUD=gateway: the cloud
#                     gateway's broker.receive_maximum (empty = 65535)
#   BRIDGE_INFLIGHT=N the gateway's bridge.max_inflight (its own cap on the window); empty = the
#                     default (64)
#   CLOUD=mosquitto   (default) the cloud is Mosquitto; CLOUD=gateway: a second `edge-gateway run`
#                     (its broker only), which shows the bridge's own ceiling rather than the
#                     cloud broker's. The outage is the same as with Mosquitto (below)
#   CLOUD_SUBSCRIBER=1 (default) a subscriber at the cloud receives the drain and checks it (every
#                     message once, in order); CLOUD_SUBSCRIBER=0: none, so the cloud broker only
#                     acknowledges, and the check is the gateway's own: the outbox empty and every
#                     message acknowledged by the cloud (edge_gateway_bridge_messages_acked_total).
#                     On a 2-CPU machine the subscriber is a third busy process beside the gateway
#                     and the cloud broker; without it the drain shows what the two of them reach
#   CLIENT=native     (default, as bridge.client) the gateway's own MQTT client
#                     (gateway/bridge/native_uplink.hpp); CLIENT=paho: Paho MQTT C
#   RSS_TOLERANCE_KIB=10240
#   TIMEOUT=1500      seconds; the whole run is bounded by it (each phase gets what is left)
#   OUT=DIR           keep the logs, the RSS samples (rss.csv) and the configurations there
#
# The outage: the cloud broker runs from the start, but refuses the gateway's user name until
# the drain begins (the password file gets the user and the broker re-reads it on SIGHUP). For the
# bridge that is an outage like any other (no connection, reconnects with backoff), and it lets
# the cloud subscriber (`mqtt_load` in receive-only mode, QoS 1) be subscribed before the first
# message can arrive. Messages are published to the gateway by `mqtt_load` (QoS 1, one
# publisher, sequence numbers in the payload); the subscriber counts duplicates (a sequence
# number at or below the last one: out of order or repeated) and gaps.
#
# Latency mode: the cloud lets the gateway in from the start. For each rate, for the baseline (the
# publisher straight into the cloud), the gateway and then Mosquitto's bridge: a cloud subscriber (`mqtt_load` receive-only, QoS 1) is set up
# first, then one local `mqtt_load` publisher sends rate x DURATION messages (QoS 1, payload
# PAYLOAD) to the bridge's local broker; the subscriber reads the send time in each payload
# (one machine, one monotonic clock) and reports p50/p90/p99/max of publish -> receive. The
# Mosquitto bridge: QoS 1, MQTT 5 (`bridge_protocol_version mqttv50`), `max_queued_messages 0`
# on both sides (no silent drops), otherwise Mosquitto's defaults.
#
# Exit status: 0 when every message arrived once and in order (and, with MODE=backlog, the RSS
# stayed flat), 1 otherwise, 2 on bad settings. Stops everything it started, also on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/../.."

build_dir="${1:-build}"
mode="${MODE:-drain}"
case "$mode" in
  drain) def_messages=1000000; def_payload=100; def_rate=50000 ;;
  backlog) def_messages=1000000; def_payload=1024; def_rate=20000 ;;
  latency) def_messages=1; def_payload=100; def_rate=0 ;;
  *) echo "bridge_outage: MODE must be drain, backlog or latency" >&2; exit 2 ;;
esac
rates="${RATES:-1000 5000}"
duration_s="${DURATION:-10}"
messages="${MESSAGES:-$def_messages}"
payload="${PAYLOAD:-$def_payload}"
cloud_inflight="${CLOUD_INFLIGHT:-}"
bridge_inflight="${BRIDGE_INFLIGHT:-}"
cloud_kind="${CLOUD:-mosquitto}"
cloud_subscriber="${CLOUD_SUBSCRIBER:-1}"
bridge_client="${CLIENT:-native}"
offer_rate="${PUBLISH_RATE:-$def_rate}"
tolerance_kib="${RSS_TOLERANCE_KIB:-10240}"
timeout_s="${TIMEOUT:-1500}"
gateway_bin="$build_dir/bin/edge-gateway"
load_bin="$build_dir/bin/mqtt_load"

die() { echo "bridge_outage: error: $*" >&2; exit 2; }
for v in "$messages" "$payload" "$offer_rate" "$tolerance_kib" "$timeout_s" ${cloud_inflight:+"$cloud_inflight"} ${bridge_inflight:+"$bridge_inflight"} "$duration_s" $rates; do
  case "$v" in ''|*[!0-9]*) die "MESSAGES, PAYLOAD, PUBLISH_RATE, CLOUD_INFLIGHT, BRIDGE_INFLIGHT, RSS_TOLERANCE_KIB, TIMEOUT, RATES and DURATION are whole numbers" ;; esac
done
if [ "$mode" = latency ]; then
  [ "$cloud_kind" = mosquitto ] || die "MODE=latency compares with Mosquitto's bridge: CLOUD=mosquitto only"
  [ -n "$rates" ] || die "RATES: at least one rate"
  for r in $rates; do [ "$r" -ge 1 ] && [ "$r" -le 100000 ] || die "RATES: 1..100000 msg/s each"; done
  [ "$duration_s" -ge 1 ] && [ "$duration_s" -le 600 ] || die "DURATION: 1..600 s"
fi
case "$cloud_kind" in mosquitto|gateway) ;; *) die "CLOUD must be mosquitto or gateway" ;; esac
case "$bridge_client" in paho|native) ;; *) die "CLIENT must be paho or native" ;; esac
case "$cloud_subscriber" in 0|1) ;; *) die "CLOUD_SUBSCRIBER must be 0 or 1" ;; esac
[ "$payload" -ge 16 ] || die "PAYLOAD: at least 16 bytes"
[ "$messages" -ge 1 ] && [ "$messages" -le 100000000 ] || die "MESSAGES: 1..100000000"
[ -x "$gateway_bin" ] || die "$gateway_bin not found; build the targets edge-gateway and mqtt_load"
[ -x "$load_bin" ] || die "$load_bin not found; build the target mqtt_load"
command -v mosquitto >/dev/null && command -v mosquitto_passwd >/dev/null || die "mosquitto missing"

# free_port, wait_port, start_work (the work directory and the processes started here)
. scripts/lib/local_ports.sh
start_work outage
deadline=$((SECONDS + timeout_s))
left() { local l=$((deadline - SECONDS)); [ "$l" -gt 0 ] || { echo "bridge_outage: FAIL: out of time (TIMEOUT=$timeout_s)" >&2; exit 1; }; echo "$l"; }

metric() {  # NAME: the gateway's gauge or counter (no labels), empty when unreachable
  curl -fs --max-time 5 "http://127.0.0.1:$metrics_port/metrics" | awk -v n="$1" '$1 == n {print $2}'
}
now_s() { date +%s.%N; }
# wait_backlog full|empty: polls the gateway's backlog gauge every 50 ms until it holds every
# message (full; fails if the bridge dropped any) or none (empty), the gateway exited or the time is
# up; prints the time it saw it (empty: "CONNECTED EMPTY ACKED", the time it first saw the bridge
# connected, the time the outbox was empty and the messages the cloud had acknowledged by then).
# One Python process for the whole wait: a curl + awk per poll took about 5 % of the two CPUs the
# drain is measured on.
wait_backlog() {
  python3 - "$1" "$messages" "$metrics_port" "$gw" "$(left)" <<'PY'
import os, sys, time, urllib.request
goal, n, port, pid, budget = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
end = time.monotonic() + budget
def scrape():
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            text = r.read().decode()
    except OSError:
        return None, 0
    m, dropped = {}, 0
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        if name.startswith("edge_gateway_bridge_messages_dropped_total"):
            dropped += int(float(value))
        elif name.startswith("edge_gateway_bridge_"):
            m[name] = int(float(value))
    return m, dropped
connected_at = None
while True:
    m, dropped = scrape()
    rows = m.get("edge_gateway_bridge_backlog_messages") if m is not None else None
    if connected_at is None and m and m.get("edge_gateway_bridge_connected") == 1:
        connected_at = time.time()
    if rows is not None and (rows >= n if goal == "full" else rows == 0):
        now = time.time()
        if goal == "full":
            print(f"{now:.6f}")
        else:
            acked = m.get("edge_gateway_bridge_messages_acked_total", 0)
            print(f"{connected_at or now:.6f} {now:.6f} {acked}")
        sys.exit(0)
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("bridge_outage: FAIL: the gateway exited")
    if goal == "full" and dropped:
        sys.exit(f"bridge_outage: FAIL: the bridge dropped {dropped} messages")
    if time.monotonic() > end:
        sys.exit("bridge_outage: FAIL: out of time")
    time.sleep(0.05)
PY
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$gw/status"; }

local_port="$(free_port)"; cloud_port="$(free_port)"; metrics_port="$(free_port)"

# The cloud: anonymous subscribers welcome; the gateway's user "edge" is unknown until the drain
# (in MODE=latency, known from the start: there is no outage).
password="$(head -c 12 /dev/urandom | base64)"
mosquitto_passwd -c -b "$work/cloud.passwd" nobody "$(head -c 12 /dev/urandom | base64)" >/dev/null
[ "$mode" != latency ] || mosquitto_passwd -b "$work/cloud.passwd" edge "$password" >/dev/null
{
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npassword_file %s\npersistence false\n' \
    "$cloud_port" "$work/cloud.passwd"
  printf 'max_queued_messages 0\n'  # no silent drops towards a momentarily slower subscriber
  printf 'user %s\n' "$(id -un)"   # started as root, Mosquitto would drop to a user that cannot read $work
  [ -z "$cloud_inflight" ] || printf 'max_inflight_messages %s\n' "$cloud_inflight"
} >"$work/cloud.conf"
cat >"$work/cloud-gateway.yaml" <<EOF
gateway:
  id: outage-bench-cloud
  data_dir: $work/cloud-data
broker:
  listeners:
    - bind: 127.0.0.1:$cloud_port
      name: cloud
  receive_maximum: ${cloud_inflight:-65535}
  max_inflight: 1000
  max_queued_messages: 10000000
  max_queued_bytes: 1GiB
  password_file: $work/cloud.passwd
EOF
start_cloud() {
  if [ "$cloud_kind" = gateway ]; then
    mkdir -p "$work/cloud-data"
    "$gateway_bin" run --config "$work/cloud-gateway.yaml" 2>"$work/cloud.log" &
  else
    mosquitto -c "$work/cloud.conf" >"$work/cloud.log" 2>&1 &
  fi
  cloud=$!
  pids+=("$cloud")
  wait_port "$cloud_port" 20 "$cloud" || die "the cloud broker did not start: $(cat "$work/cloud.log")"
}
start_cloud

backlog_bytes=$((messages * (payload + 64)))
cat >"$work/gateway.yaml" <<EOF
gateway:
  id: outage-bench
  data_dir: $work/data
  log_level: info
broker:
  listeners:
    - bind: 127.0.0.1:$local_port
      name: local
  receive_maximum: 1000
bridge:
  client: $bridge_client
  max_inflight: ${bridge_inflight:-64}
  servers: [mqtt://127.0.0.1:$cloud_port]
  client_id: outage-bench
  username: edge
  password: \${GW_OUTAGE_BENCH_PASSWORD}
  reconnect: {initial: 100ms, max: 500ms}
  upstream:
    - {name: bench, local: "bench/#", remote: "cloud/{topic}", qos: 1}
  outbox:
    max_bytes: $((backlog_bytes > 268435456 ? backlog_bytes : 268435456))B
metrics:
  enabled: true
  listen: 127.0.0.1:$metrics_port
EOF
mkdir -p "$work/data"
GW_OUTAGE_BENCH_PASSWORD="$password" "$gateway_bin" run --config "$work/gateway.yaml" \
  2> >(cat >"$work/gateway.log") &
gw=$!
pids+=("$gw")
wait_port "$local_port" 30 "$gw" || die "the gateway did not start: $(cat "$work/gateway.log")"
wait_port "$metrics_port" 30 "$gw" || die "the gateway's metrics endpoint did not start"

if [ "$mode" = latency ]; then
  # run_latency (tests/bench/bridge_outage_latency.sh): the two bridges, rate by rate; its status is ours.
  . tests/bench/bridge_outage_latency.sh
  run_latency
  exit $?
fi

# RSS every second, with the phase it was taken in.
phase_file="$work/phase"
echo outage >"$phase_file"
(
  while kill -0 "$gw" 2>/dev/null; do
    printf '%s,%s,%s\n' "$(date +%s)" "$(cat "$phase_file")" "$(awk '/^VmRSS:/ {print $2}' "/proc/$gw/status" 2>/dev/null)"
    sleep 1
  done
) >"$work/rss.csv" &
pids+=($!)

echo "bridge_outage: $messages messages of $payload bytes offered at $offer_rate msg/s (0: unlimited), cloud max_inflight_messages ${cloud_inflight:-default (20)}, bridge client $bridge_client; work dir $work"
rss_start="$(rss_kib)"

# --- outage: publish everything, wait until the outbox holds it all (committed) ------------------
t0="$(now_s)"
"$load_bin" --port "$local_port" --publishers 1 --subscribers 0 --qos 1 --payload "$payload" \
  --messages "$messages" --rate "$offer_rate" --topic bench --inflight 512 --timeout "$(left)" --label publisher \
  >"$work/publisher.json" 2>"$work/publisher.log" || die "publisher failed: $(tail -n 2 "$work/publisher.json" "$work/publisher.log")"
t_published="$(now_s)"
t_stored="$(wait_backlog full)" || exit 1
rss_outage_end="$(rss_kib)"
echo drain >"$phase_file"
du_data="$(du -sb "$work/data" | cut -f1)"

# --- drain: the subscriber first, then the gateway is let in --------------------------------------
if [ "$cloud_subscriber" = 1 ]; then
  rm -f "$work/sub.ready"
  "$load_bin" --port "$cloud_port" --publishers 0 --subscribers 1 --remote-publishers 1 --qos 1 \
    --payload "$payload" --topic cloud/bench --ready-file "$work/sub.ready" --timeout "$(left)" \
    --label cloud-subscriber >"$work/subscriber.json" 2>"$work/subscriber.log" &
  sub=$!
  pids+=("$sub")
  for _ in $(seq 1 300); do [ -e "$work/sub.ready" ] && break; sleep 0.1; done
  [ -e "$work/sub.ready" ] || die "the cloud subscriber did not get ready: $(cat "$work/subscriber.log")"
fi
mosquitto_passwd -b "$work/cloud.passwd" edge "$password" >/dev/null  # edge-gateway reads it too
t_restore="$(now_s)"
kill -HUP "$cloud"
drained="$(wait_backlog empty)" || exit 1
read -r t_connected t_empty acked <<<"$drained"
rss_after="$(rss_kib)"
[ "$cloud_subscriber" = 0 ] || wait "$sub" || true  # it stops 2 s after the last delivery
echo done >"$phase_file"

# --- report -----------------------------------------------------------------------------------------
json_field() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])' "$@"; }
delivered=0 duplicates=0 gaps=0 deliver_s=0
if [ "$cloud_subscriber" = 1 ]; then
  delivered="$(json_field "$work/subscriber.json" delivered)"
  duplicates="$(json_field "$work/subscriber.json" duplicates)"
  gaps="$(json_field "$work/subscriber.json" gaps)"
  deliver_s="$(json_field "$work/subscriber.json" deliver_s)"
fi
publish_rate="$(json_field "$work/publisher.json" publish_rate)"
rss_max="$(awk -F, '$2 == "outage" && $3 > m {m = $3} END {print m + 0}' "$work/rss.csv")"
# Flat means no growth with the backlog: the baseline is the sample a tenth into the outage, after
# the start-up allocations (SQLite's page cache filling, the hand-off queue's first burst, one
# malloc arena per thread); growth is the largest later sample over it.
read -r rss_base rss_growth < <(awk -F, '$2 == "outage" {v[n++] = $3}
  END {b = v[int(n / 10)]; m = b; for (i = int(n / 10); i < n; i++) if (v[i] > m) m = v[i]; print b + 0, m - b}' "$work/rss.csv")
sent_high_water="$(grep -o 'receive maximum [0-9]*' "$work/gateway.log" | tail -n 1 || true)"

python3 - "$messages" "$payload" "$t0" "$t_published" "$t_stored" "$t_restore" "$t_empty" \
  "$deliver_s" "$publish_rate" "$du_data" "$t_connected" "$cloud_subscriber" <<'EOF'
import sys
n, size = int(sys.argv[1]), int(sys.argv[2])
t0, t_pub, t_stored, t_restore, t_empty = map(float, sys.argv[3:8])
deliver_s, pub_rate, du = float(sys.argv[8]), float(sys.argv[9]), int(sys.argv[10])
t_connected, with_subscriber = float(sys.argv[11]), sys.argv[12] == "1"
print(f"BENCH append: {n} x {size} B published in {t_pub - t0:.2f} s (publisher {pub_rate:.0f} msg/s), "
      f"all in the outbox and committed after {t_stored - t0:.2f} s: {n / (t_stored - t0):.0f} msg/s; "
      f"data directory {du / 1048576:.1f} MiB")
at_subscriber = (f"first to last delivery at the cloud subscriber {deliver_s:.2f} s: "
                 f"{n / deliver_s if deliver_s > 0 else 0:.0f} msg/s") if with_subscriber else "no cloud subscriber"
print(f"BENCH drain: outbox empty {t_empty - t_restore:.2f} s after the cloud let the gateway in "
      f"({n / (t_empty - t_restore):.0f} msg/s including the reconnect), {t_empty - t_connected:.2f} s after "
      f"the bridge was seen connected ({n / max(t_empty - t_connected, 1e-3):.0f} msg/s; 50 ms polls); {at_subscriber}")
EOF
echo "BENCH rss: start $rss_start KiB, max during the outage $rss_max KiB, end of the outage $rss_outage_end KiB, after the drain $rss_after KiB ($sent_high_water)"
echo "BENCH rss growth with the backlog: $rss_growth KiB over $rss_base KiB (the sample a tenth into the outage; tolerance $tolerance_kib KiB in MODE=backlog)"
status=0
if [ "$cloud_subscriber" = 1 ]; then
  echo "BENCH cloud subscriber: delivered $delivered of $messages, duplicates or out of order $duplicates, gaps $gaps"
  if [ "$delivered" -ne "$messages" ] || [ "$duplicates" -ne 0 ] || [ "$gaps" -ne 0 ]; then
    echo "bridge_outage: FAIL: not every message arrived exactly once and in order" >&2
    status=1
  fi
else
  echo "BENCH no cloud subscriber: the cloud acknowledged $acked messages (of $messages), the outbox is empty"
  if [ "$acked" -lt "$messages" ]; then
    echo "bridge_outage: FAIL: the outbox is empty but the cloud acknowledged only $acked of $messages" >&2
    status=1
  fi
fi
if [ "$mode" = backlog ] && [ "$rss_growth" -gt "$tolerance_kib" ]; then
  echo "bridge_outage: FAIL: RSS grew by $rss_growth KiB while the backlog grew (tolerance $tolerance_kib)" >&2
  status=1
fi
[ "$status" -ne 0 ] || echo "bridge_outage: PASS"
exit "$status"
