#!/usr/bin/env bash
# Soak test: runs the gateway with the demo configuration (config/examples/demo.yaml, its ports
# moved to free loopback ports) against `edge-gateway simulate`, samples the gateway's memory and
# disk writes, and fails if its RSS grows after the warm-up.
#
#   tests/bench/soak.sh [DURATION_SECONDS]       (default 600 = 10 minutes)
#
# Environment:
#   CLOUD=up|down     up (default): a Mosquitto on a free port is the bridge's cloud, so readings
#                     flow to it; down: no cloud (an uplink outage), the backlog grows in SQLite.
#   INTERVAL=5        seconds between samples
#   WARMUP=60         seconds before the baseline sample; growth is measured from there
#   TOLERANCE_KIB=1024  allowed RSS growth over the baseline (max of all later samples)
#   IDLE_CLIENTS=0    that many idle MQTT connections (tests/bench/load mqtt_load --idle, held
#                     for the whole run, at most 570 s) to the gateway's broker, connected before
#                     the first sample
#   CONFIG=FILE       another configuration laid out like demo.yaml (same ports, same bridge
#                     topics), e.g. with other outbox settings; default config/examples/demo.yaml
#   BUILD_DIR=build   where bin/edge-gateway (and bin/mqtt_load) are
#   OUT=DIR           keep the samples (soak-<cloud>.csv) and logs there (default: a temp dir)
#   FOOTPRINT=1       at the first and the last sample, also print where the memory is:
#                     RssAnon/RssFile (/proc/<pid>/status), Pss and private memory
#                     (/proc/<pid>/smaps_rollup) and the resident kB of each mapped file
#                     (/proc/<pid>/smaps), e.g. `FOOTPRINT=1 WARMUP=0 tests/bench/soak.sh 60`
#
# Prints one line per sample and a summary with the RSS figures and the disk writes per hour
# (/proc/<pid>/io write_bytes: bytes the gateway caused to be written to storage, i.e. the
# SQLite outbox, its WAL and anything else on disk; the gateway's log goes to a pipe, not counted).
# Bounded: the run ends after DURATION plus at most 60 s of start-up. Stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/../.."

duration="${1:-600}"
cloud_mode="${CLOUD:-up}"
interval="${INTERVAL:-5}"
warmup="${WARMUP:-60}"
tolerance_kib="${TOLERANCE_KIB:-1024}"
idle_clients="${IDLE_CLIENTS:-0}"
build_dir="${BUILD_DIR:-build}"
config="${CONFIG:-config/examples/demo.yaml}"
gateway_bin="$build_dir/bin/edge-gateway"

die() { echo "soak: error: $*" >&2; exit 1; }
case "$duration" in ''|*[!0-9]*) die "DURATION_SECONDS must be a whole number of seconds" ;; esac
case "$cloud_mode" in up|down) ;; *) die "CLOUD must be up or down" ;; esac
for v in "$interval" "$warmup" "$tolerance_kib" "$idle_clients"; do
  case "$v" in ''|*[!0-9]*) die "INTERVAL, WARMUP, TOLERANCE_KIB and IDLE_CLIENTS must be whole numbers" ;; esac
done
[ "$interval" -ge 1 ] || die "INTERVAL must be at least 1"
[ "$duration" -gt "$warmup" ] || die "DURATION_SECONDS ($duration) must exceed WARMUP ($warmup)"
[ -f "$config" ] || die "$config not found"
[ -x "$gateway_bin" ] || die "$gateway_bin not found; build it: cmake --build --preset default --target edge-gateway"
command -v mosquitto_sub >/dev/null || die "mosquitto-clients missing (scripts/setup.sh)"
if [ "$idle_clients" -gt 0 ]; then
  [ -x "$build_dir/bin/mqtt_load" ] || die "$build_dir/bin/mqtt_load not found; build the target mqtt_load"
  [ "$duration" -le 570 ] || die "with IDLE_CLIENTS the run is at most 570 s (mqtt_load holds for at most 600 s)"
  [ "$idle_clients" -le 1000 ] || die "IDLE_CLIENTS: at most 1000 (the demo configuration's max_connections is 1024)"
  ulimit -n "$(ulimit -Hn)"
fi

# free_port, wait_port, start_work (the work directory and the processes started here)
. scripts/lib/local_ports.sh
start_work soak

modbus="$(free_port)"; local_port="$(free_port)"; cloud="$(free_port)"; metrics="$(free_port)"
sed -e "s/127\.0\.0\.1:1883\b/127.0.0.1:$local_port/" -e "s/port: 5020/port: $modbus/" \
    -e "s/127\.0\.0\.1:18830/127.0.0.1:$cloud/" -e "s/127\.0\.0\.1:9464/127.0.0.1:$metrics/" \
    "$config" >"$work/demo.yaml"
mkdir -p "$work/data"

"$gateway_bin" simulate --address 127.0.0.1 --port "$modbus" >"$work/simulate.log" 2>&1 &
pids+=($!)
wait_port "$modbus" 20 $! || die "the simulator did not start: $(cat "$work/simulate.log")"
if [ "$cloud_mode" = up ]; then
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$cloud" >"$work/cloud.conf"
  mosquitto -c "$work/cloud.conf" >"$work/cloud.log" 2>&1 &
  pids+=($!)
  wait_port "$cloud" 20 $! || die "Mosquitto did not start: $(cat "$work/cloud.log")"
  # Counts what reaches the cloud over the whole run.
  mosquitto_sub -h 127.0.0.1 -p "$cloud" -t 'site-7/#' -q 1 >"$work/cloud.out" 2>/dev/null &
  pids+=($!)
fi

# The gateway's log goes through a pipe, so its writes are not counted as disk writes.
EG_DATA_DIR="$work/data" "$gateway_bin" run --config "$work/demo.yaml" \
  2> >(cat >"$work/gateway.log") &
gw=$!
pids+=("$gw")
wait_port "$local_port" 30 "$gw" || die "the gateway did not listen: $(cat "$work/gateway.log")"
mosquitto_sub -h 127.0.0.1 -p "$local_port" -t 'demo/boiler/temperature' -C 1 -W 30 >/dev/null ||
  die "no reading from the simulator within 30 s: $(cat "$work/gateway.log")"

rss_before_clients=""
if [ "$idle_clients" -gt 0 ]; then
  rss_before_clients=$(awk '/^VmRSS:/ {print $2}' "/proc/$gw/status")
  "$build_dir/bin/mqtt_load" --port "$local_port" --publishers 0 --subscribers 0 \
    --idle "$idle_clients" --hold "$((duration + 30))" --setup-timeout 60 \
    >"$work/mqtt_load.json" 2>"$work/mqtt_load.log" &
  pids+=($!)
  # Waits (at most 90 s) until the gateway's own gauge counts them all.
  connected=0
  for _ in $(seq 1 90); do
    connected=$(curl -fs "http://127.0.0.1:$metrics/metrics" |
      awk '$1 == "edge_gateway_mqtt_connections" {print $2}')
    [ "${connected:-0}" -ge "$idle_clients" ] && break
    sleep 1
  done
  [ "${connected:-0}" -ge "$idle_clients" ] ||
    die "only ${connected:-0} of $idle_clients idle clients connected: $(cat "$work/mqtt_load.log")"
fi

# Where the resident memory is: anonymous vs file-backed pages, and per mapped file.
print_footprint() {  # PID LABEL
  local pid=$1 label=$2
  echo "footprint ($label):" >&2
  awk '/^(VmRSS|RssAnon|RssFile|RssShmem|VmHWM):/ {printf "  %-10s %8d kB\n", $1, $2}' \
    "/proc/$pid/status" >&2
  awk '/^(Pss|Private_Clean|Private_Dirty|Shared_Clean|Shared_Dirty):/ {
         printf "  %-14s %8d kB\n", $1, $2}' "/proc/$pid/smaps_rollup" >&2
  # smaps: a header line per mapping (its 6th field is the file, if any), then "Rss: N kB" and
  # "Anonymous: N kB" (of a file mapping: its pages written since, e.g. relocated data).
  echo "  resident kB (of which anonymous) per mapped file:" >&2
  awk '/^[0-9a-f]+-[0-9a-f]+ / { name = ($6 == "" ? "[anon]" : $6); next }
       /^Rss:/ { rss[name] += $2 }
       /^Anonymous:/ { anon[name] += $2 }
       END { for (n in rss) if (rss[n] > 0) printf "  %8d kB (%6d kB)  %s\n", rss[n], anon[n], n }' \
    "/proc/$pid/smaps" | sort -rn >&2
}

csv="$work/soak-$cloud_mode.csv"
echo "t_s,rss_kib,write_bytes,data_dir_bytes" >"$csv"
echo "soak: pid $gw, CLOUD=$cloud_mode, ${duration}s, sample every ${interval}s, warm-up ${warmup}s, tolerance ${tolerance_kib} KiB" >&2

start=$(date +%s)
baseline_rss=""; baseline_wb=""; baseline_t=""; max_rss=0
while :; do
  now=$(date +%s)
  t=$((now - start))
  kill -0 "$gw" 2>/dev/null || die "the gateway exited at t=${t}s: $(tail -n 20 "$work/gateway.log")"
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$gw/status")
  wb=$(awk '/^write_bytes:/ {print $2}' "/proc/$gw/io")
  dd=$(du -sb "$work/data" | cut -f1)
  echo "$t,$rss,$wb,$dd" >>"$csv"
  echo "t=${t}s rss=${rss} KiB write_bytes=${wb} data_dir=${dd} B" >&2
  if [ -z "$baseline_rss" ] && [ "$t" -ge "$warmup" ]; then
    baseline_rss=$rss; baseline_wb=$wb; baseline_t=$t
  fi
  if [ -n "$baseline_rss" ] && [ "$rss" -gt "$max_rss" ]; then max_rss=$rss; fi
  if [ "${FOOTPRINT:-0}" = 1 ] && [ "$t" -eq 0 ]; then print_footprint "$gw" "t=0s"; fi
  if [ "$t" -ge "$duration" ]; then
    [ "${FOOTPRINT:-0}" = 1 ] && print_footprint "$gw" "t=${t}s"
    break
  fi
  sleep "$interval"
done
end_rss=$rss
growth=$((max_rss - baseline_rss))
span=$((t - baseline_t))
wb_per_hour=$(( (wb - baseline_wb) * 3600 / (span > 0 ? span : 1) ))
delivered=""
if [ "$cloud_mode" = up ]; then
  delivered=$(wc -l <"$work/cloud.out")
  [ "$delivered" -gt 0 ] || die "the cloud received nothing during the soak"
fi

echo "soak summary (CLOUD=$cloud_mode, ${duration}s, samples in $csv)"
printf '  %-30s %s\n' \
  "RSS after warm-up (t=${baseline_t}s)" "${baseline_rss} KiB" \
  "RSS max after warm-up" "${max_rss} KiB (growth ${growth} KiB, tolerance ${tolerance_kib} KiB)" \
  "RSS at the end" "${end_rss} KiB" \
  "disk writes after warm-up" "$((wb - baseline_wb)) B in ${span}s = ${wb_per_hour} B/hour (write_bytes)" \
  "data directory at the end" "${dd} B"
if [ -n "$rss_before_clients" ]; then
  printf '  %-30s %s\n' "RSS before the idle clients" "${rss_before_clients} KiB ($idle_clients connected afterwards)"
fi
if [ -n "$delivered" ]; then
  printf '  %-30s %s\n' "readings at the cloud" "$delivered"
fi
if [ "$growth" -gt "$tolerance_kib" ]; then
  echo "soak: FAIL: RSS grew by ${growth} KiB after the warm-up (tolerance ${tolerance_kib} KiB)" >&2
  exit 1
fi
echo "soak: PASS" >&2
