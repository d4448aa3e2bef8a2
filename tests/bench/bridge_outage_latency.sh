# MODE=latency of tests/bench/bridge_outage.sh, which sources this file once the cloud Mosquitto
# and the gateway run (connected: the cloud knows the gateway's user). Defines run_latency only.
#
# Uses the caller's work, pids, load_bin, local_port, cloud_port, metrics_port, password, payload,
# rates, duration_s, die, left and metric. For each rate in RATES: the baseline without a bridge (the
# publisher straight into the cloud Mosquitto: one broker hop), the gateway's bridge, then
# Mosquitto's own bridge (a second, local Mosquitto with a `connection` to the same cloud), each
# with a cloud subscriber set up first and one publisher at the rate for DURATION seconds. What a
# bridge adds is its figure minus the baseline's. Status 1 when a message was lost, duplicated or
# reordered.

run_latency() {
  local mosq_port status=0
  mosq_port="$(free_port)"

  # Mosquitto's bridge: local bench/# -> cloud-mosq/bench/#, QoS 1, MQTT 5 like the gateway's.
  {
    printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$mosq_port"
    printf 'max_queued_messages 0\n'
    printf 'user %s\n' "$(id -un)"
    printf 'connection latency-bench\naddress 127.0.0.1:%s\n' "$cloud_port"
    printf 'remote_clientid latency-bench-mosquitto\nremote_username edge\nremote_password %s\n' "$password"
    printf 'bridge_protocol_version mqttv50\ncleansession true\n'
    printf 'topic bench/# out 1 "" cloud-mosq/\n'
  } >"$work/mosquitto-bridge.conf"
  mosquitto -c "$work/mosquitto-bridge.conf" >"$work/mosquitto-bridge.log" 2>&1 &
  local mosq=$!
  pids+=("$mosq")
  wait_port "$mosq_port" 20 "$mosq" || die "the bridging Mosquitto did not start: $(cat "$work/mosquitto-bridge.log")"

  # Both uplinks connected before the first message: the gateway's metric, Mosquitto's
  # notification topic (retained "1" once its bridge has its CONNACK).
  local up=""
  for _ in $(seq 1 200); do
    [ "$(metric edge_gateway_bridge_connected)" = 1 ] && break
    [ "$(left)" -gt 0 ]
    sleep 0.1
  done
  [ "$(metric edge_gateway_bridge_connected)" = 1 ] || die "the gateway's bridge did not connect: $(tail -n 5 "$work/gateway.log")"
  for _ in $(seq 1 40); do
    up="$(mosquitto_sub -h 127.0.0.1 -p "$mosq_port" -t '$SYS/broker/connection/latency-bench-mosquitto/state' -C 1 -W 1 2>/dev/null || true)"
    [ "$up" = 1 ] && break
    sleep 0.1
  done
  [ "$up" = 1 ] || die "Mosquitto's bridge did not connect: $(tail -n 5 "$work/mosquitto-bridge.log")"

  echo "bridge_outage: latency at ${rates// /, } msg/s, $duration_s s per rate and bridge, QoS 1, $payload-byte payload; load average $(cut -d' ' -f1-3 /proc/loadavg); work dir $work"
  local rate kind port topic tag n delivered dup gaps figures
  for rate in $rates; do
    for kind in direct gateway mosquitto; do
      case "$kind" in
        direct) port="$cloud_port"; topic=bench ;;
        gateway) port="$local_port"; topic=cloud/bench ;;
        mosquitto) port="$mosq_port"; topic=cloud-mosq/bench ;;
      esac
      tag="$kind-$rate"
      n=$((rate * duration_s))
      rm -f "$work/$tag.ready"
      "$load_bin" --port "$cloud_port" --publishers 0 --subscribers 1 --remote-publishers 1 --qos 1 \
        --payload "$payload" --topic "$topic" --ready-file "$work/$tag.ready" --timeout "$((duration_s + 30))" \
        --label "$tag-subscriber" >"$work/$tag.subscriber.json" 2>"$work/$tag.subscriber.log" &
      local sub=$!
      pids+=("$sub")
      for _ in $(seq 1 300); do [ -e "$work/$tag.ready" ] && break; sleep 0.1; done
      [ -e "$work/$tag.ready" ] || die "the cloud subscriber did not get ready: $(cat "$work/$tag.subscriber.log")"
      "$load_bin" --port "$port" --publishers 1 --subscribers 0 --qos 1 --payload "$payload" \
        --messages "$n" --rate "$rate" --topic bench --inflight 20 --timeout "$((duration_s + 30))" \
        --label "$tag-publisher" >"$work/$tag.publisher.json" 2>"$work/$tag.publisher.log" ||
        die "publisher failed: $(tail -n 2 "$work/$tag.publisher.json" "$work/$tag.publisher.log")"
      wait "$sub" || true  # it stops 2 s after the last delivery (or at its timeout)
      figures=""
      read -r delivered dup gaps figures < <(python3 - "$work/$tag.subscriber.json" 2>/dev/null <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
l = r["latency_us"]
print(r["delivered"], r["duplicates"], r["gaps"],
      f"p50 {l['p50']:.0f} us, p90 {l['p90']:.0f} us, p99 {l['p99']:.0f} us, max {l['max']:.0f} us")
PY
      ) || true
      # No result (the subscriber died) counts as nothing delivered.
      [ -n "${figures:-}" ] || { delivered=0; dup=0; gaps=0; figures="no result: $(tail -n 1 "$work/$tag.subscriber.log")"; }
      printf 'BENCH latency %-9s %5s msg/s: delivered %s of %s, duplicates %s, gaps %s | %s\n' \
        "$kind" "$rate" "$delivered" "$n" "$dup" "$gaps" "$figures"
      if [ "$delivered" -ne "$n" ] || [ "$dup" -ne 0 ] || [ "$gaps" -ne 0 ]; then
        echo "bridge_outage: FAIL: $kind at $rate msg/s: not every message arrived exactly once and in order" >&2
        status=1
      fi
    done
  done
  local refused="unknown" metrics
  if metrics="$(curl -fs --max-time 5 "http://127.0.0.1:$metrics_port/metrics")"; then
    refused="$(awk '$1 ~ /^edge_gateway_bridge_send_refused_total/ {s += $2} END {print s + 0}' \
      <<<"$metrics")"
  fi
  echo "bridge_outage: the gateway's bridge had $refused send(s) refused by its MQTT client; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
  [ "$status" -ne 0 ] || echo "bridge_outage: PASS"
  return "$status"
}
