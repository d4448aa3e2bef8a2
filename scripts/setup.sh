#!/usr/bin/env bash
# Installs every Debian package that the build, the tests, the benchmarks and the demo need.
# Idempotent and quiet when everything is already there. Must run as root (or via sudo).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang-14 libclang-rt-14-dev
  # libraries
  libasio-dev libssl-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libyaml-cpp-dev libmodbus-dev libpcre2-dev libpaho-mqtt-dev libsqlite3-dev libsystemd-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  mosquitto mosquitto-clients python3 python3-paho-mqtt curl
  # systemd-analyze (unit checks), dpkg-deb and readelf (package checks), sqlite3 (outbox checks)
  systemd binutils dpkg sqlite3
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo "$0" "$@"
  fi
  echo "setup: need root to install: ${missing[*]}" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian mosquitto package starts a system broker on port 1883; the project runs its own
# instances on ephemeral ports and must not fight a system one for 1883.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then
  systemctl stop mosquitto || true
  systemctl disable mosquitto >/dev/null 2>&1 || true
fi
