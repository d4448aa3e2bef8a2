#!/bin/sh
# Bridge benchmarks: drain rate of a 100,000-message backlog (100-byte payload, QoS 1) to a loopback
# mosquitto after an outage, and local publish → cloud subscriber latency while connected.
# The benchmarks are disabled GoogleTest cases in the integration test binary (they need its
# harness: the in-process broker, the TCP proxy that cuts the uplink, a Paho subscriber).
#
#   tests/bench/bridge_drain.sh [BUILD_DIR]        (default: build)
#   GW_BENCH_MESSAGES=20000 GW_BENCH_SAMPLES=500 tests/bench/bridge_drain.sh build-release
#
# The cloud subscriber here is a Paho client in the same process as the bridge: it shares Paho's
# two library threads and their locks with the bridge's own client, which roughly halves the drain
# rate (docs/performance.md). tests/bench/bridge_outage.sh measures the real programs instead.
#
# Needs mosquitto on PATH. Prints lines starting with "BENCH".
set -eu
build=${1:-build}
"$build/bin/integration_tests" --gtest_also_run_disabled_tests \
  --gtest_filter='BridgeBench.*' 2>&1 | grep -E '^BENCH|FAILED|OK \]'
