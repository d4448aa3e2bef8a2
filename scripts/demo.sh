#!/usr/bin/env bash
# Runs the gateway's demo: installs what is missing, builds, and starts edge-gateway in the
# foreground with config/examples/demo.yaml. Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh default --target edge-gateway
export EG_DATA_DIR="${EG_DATA_DIR:-${TMPDIR:-/tmp}/edge-gateway-demo}"
mkdir -p "$EG_DATA_DIR"
cat >&2 <<'MSG'
edge-gateway demo: MQTT broker on 127.0.0.1:1883. In another terminal try
  mosquitto_sub -h 127.0.0.1 -t '#' -v
  mosquitto_pub -h 127.0.0.1 -t demo/hello -m world
Ctrl-C stops the gateway.
MSG
exec build/bin/edge-gateway run --config config/examples/demo.yaml "$@"
