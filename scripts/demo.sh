#!/usr/bin/env bash
# Runs the gateway's demo: installs what is missing, builds, starts a simulated Modbus TCP device
# (`edge-gateway simulate`, generated values) and edge-gateway with config/examples/demo.yaml, and
# prints the readings as they arrive in the gateway's MQTT broker. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh default --target edge-gateway
export EG_DATA_DIR="${EG_DATA_DIR:-${TMPDIR:-/tmp}/edge-gateway-demo}"
mkdir -p "$EG_DATA_DIR"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

build/bin/edge-gateway simulate --address 127.0.0.1 --port 5020 &
pids+=($!)
build/bin/edge-gateway run --config config/examples/demo.yaml "$@" &
pids+=($!)

# Wait (bounded) until the broker accepts connections, then show the live readings.
for _ in $(seq 1 50); do
  if mosquitto_sub -h 127.0.0.1 -p 1883 -t 'demo/boiler/status' -C 1 -W 1 >/dev/null 2>&1; then break; fi
  kill -0 "${pids[1]}" 2>/dev/null || { echo "edge-gateway exited; see the messages above" >&2; exit 1; }
done
cat >&2 <<'MSG'

edge-gateway demo: the broker is on 127.0.0.1:1883, polling a simulated boiler every second.
Readings below are <topic> <payload>. In another terminal try
  mosquitto_pub -h 127.0.0.1 -t demo/boiler/setpoint/set -m 23.5
  mosquitto_sub -h 127.0.0.1 -t 'demo/boiler/setpoint/set/result' -v
The bridge's cloud (127.0.0.1:18830) is not there, so readings wait in the outbox on disk:
  build/bin/edge-gateway outbox stats --config config/examples/demo.yaml
  mosquitto -p 18830        # a "cloud": the backlog drains, in order
Health and counters: build/bin/edge-gateway status --config config/examples/demo.yaml
  curl -s http://127.0.0.1:9464/metrics
Ctrl-C stops the demo.

MSG
mosquitto_sub -h 127.0.0.1 -p 1883 -t 'demo/#' -v &
pids+=($!)
wait "${pids[1]}"
