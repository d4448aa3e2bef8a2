#!/usr/bin/env bash
# Cross builds for ARM gateways, from a Debian 12 x86-64 machine:
#   scripts/cross.sh arm64|armhf [build|test|smoke|deb|all]      (default: all)
#
#   build  installs what is missing (Debian's cross compiler and qemu-user-static; the target's
#          -dev packages go into a sysroot, build-<arch>/sysroot, extracted from Debian's archive
#          with mmdebstrap), then builds edge-gateway and the unit-test binaries (preset <arch>).
#   test   runs the unit tests under qemu-user (ctest, CMAKE_CROSSCOMPILING_EMULATOR), then a
#          smoke test: the cross-built gateway, under qemu, runs the demo configuration on free
#          loopback ports with a Modbus TCP link to `edge-gateway simulate` and a bridge to a
#          native Mosquitto; a reading from the simulator must reach the cloud subscriber.
#   smoke  the smoke test alone.
#   deb    builds build-<arch>/edge-gateway_<version>_<arch>.deb and checks its architecture.
#
# Idempotent: a second run installs nothing and reuses the sysroot. Needs root (or sudo) only
# when a package is missing. Builds with GW_JOBS (default 2) jobs.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/cross.sh arm64|armhf [build|test|smoke|deb|all]" >&2; exit 2; }
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
args=("$@")
arch="$1"
what="${2:-all}"
case "$arch" in
  arm64) triplet=aarch64-linux-gnu; qemu="qemu-aarch64-static"; elf_machine=AArch64 ;;
  armhf) triplet=arm-linux-gnueabihf; qemu="qemu-arm-static"; elf_machine=ARM ;;
  *) usage ;;
esac
case "$what" in build|test|smoke|deb|all) ;; *) usage ;; esac

jobs="${GW_JOBS:-2}"
build_dir="build-$arch"
sysroot="$PWD/$build_dir/sysroot"
# The target's libraries: what the root CMakeLists.txt and tests/ find, plus the C++ runtime.
sysroot_packages="libc6-dev,libstdc++-12-dev,libasio-dev,libssl-dev,libspdlog-dev,libfmt-dev"
sysroot_packages+=",libcli11-dev,nlohmann-json3-dev,libyaml-cpp-dev,libmodbus-dev,libpcre2-dev"
sysroot_packages+=",libpaho-mqtt-dev,libsqlite3-dev,libsystemd-dev,libgtest-dev,libgmock-dev"

say() { echo "cross($arch): $*" >&2; }
die() { echo "cross($arch): error: $*" >&2; exit 1; }

# Build-machine packages: the cross compiler, qemu-user and mmdebstrap (all native packages).
# The build machine's own -dev packages stay as they are: anything that would remove a package
# aborts the installation.
install_host_packages() {
  bash scripts/setup.sh
  local p missing=()
  for p in "g++-$triplet" qemu-user-static mmdebstrap; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "need root to install: ${missing[*]}"
    exec sudo bash "$0" "${args[@]}"
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  if apt-get install -s --no-install-recommends "${missing[@]}" | grep -q '^Remv '; then
    die "installing ${missing[*]} would remove packages; not doing it"
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The sysroot: the target architecture's -dev packages and their dependencies, unpacked (no
# maintainer scripts run, nothing is installed on the build machine). Recreated when the package
# list changes.
make_sysroot() {
  local stamp="$sysroot/.edge-gateway-sysroot"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sysroot_packages" ]; then
    return 0
  fi
  say "creating the $arch sysroot in $build_dir/sysroot"
  rm -rf "$sysroot"
  mkdir -p "$build_dir"
  mmdebstrap --quiet --mode=chrootless --variant=extract --arch="$arch" \
    --include="$sysroot_packages" bookworm "$sysroot" http://deb.debian.org/debian >&2
  echo "$sysroot_packages" >"$stamp"
}

configure() {
  local launcher=()
  if command -v ccache >/dev/null 2>&1; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  cmake --preset "$arch" "${launcher[@]}" >/dev/null
}

do_build() {
  install_host_packages
  make_sysroot
  configure
  cmake --build --preset "$arch" -j "$jobs"
  readelf -h "$build_dir/bin/edge-gateway" | grep -q "Machine:.*$elf_machine" ||
    die "$build_dir/bin/edge-gateway is not an $elf_machine binary"
}

# free_port, wait_port (loopback ports of the processes started here)
. scripts/lib/local_ports.sh

# Everything the smoke test starts; stopped on any exit.
pids=()
smoke_dir=""
stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
  [ -z "$smoke_dir" ] || rm -rf "$smoke_dir"
}
trap stop_all EXIT

smoke_test() {
  local native=build/bin/edge-gateway
  [ -x "$native" ] || GW_JOBS="$jobs" bash scripts/build.sh default --target edge-gateway >&2
  local dir modbus local_port cloud metrics
  smoke_dir="$(mktemp -d)"
  dir="$smoke_dir"
  modbus="$(free_port)"; local_port="$(free_port)"; cloud="$(free_port)"; metrics="$(free_port)"
  # The demo configuration with the ports moved to free ones.
  sed -e "s/127\.0\.0\.1:1883\b/127.0.0.1:$local_port/" -e "s/port: 5020/port: $modbus/" \
      -e "s/127\.0\.0\.1:18830/127.0.0.1:$cloud/" -e "s/127\.0\.0\.1:9464/127.0.0.1:$metrics/" \
      config/examples/demo.yaml >"$dir/demo.yaml"
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$cloud" >"$dir/cloud.conf"

  mkdir -p "$dir/data"
  mosquitto -c "$dir/cloud.conf" >"$dir/cloud.log" 2>&1 &
  pids+=($!)
  wait_port "$cloud" 20 $! || die "smoke: Mosquitto did not start: $(cat "$dir/cloud.log")"
  "$native" simulate --address 127.0.0.1 --port "$modbus" >"$dir/simulate.log" 2>&1 &
  pids+=($!)
  wait_port "$modbus" 20 $! || die "smoke: the simulator did not start: $(cat "$dir/simulate.log")"
  mosquitto_sub -h 127.0.0.1 -p "$cloud" -t 'site-7/demo/boiler/temperature' -C 1 -W 120 \
    >"$dir/cloud.out" 2>"$dir/cloud_sub.log" &
  local sub=$!
  pids+=("$sub")

  EG_DATA_DIR="$dir/data" "$qemu" -L "$sysroot" "$build_dir/bin/edge-gateway" \
    run --config "$dir/demo.yaml" >"$dir/gateway.log" 2>&1 &
  pids+=($!)
  wait_port "$local_port" 60 $! || die "smoke: the $arch gateway did not listen: $(cat "$dir/gateway.log")"

  # The reading goes simulator -> Modbus TCP -> gateway broker -> bridge -> cloud Mosquitto.
  if ! wait "$sub"; then
    cat "$dir/gateway.log" >&2
    die "smoke: no reading reached the cloud subscriber within 120 s"
  fi
  grep -q '"quality":"good"' "$dir/cloud.out" ||
    die "smoke: unexpected payload at the cloud: $(cat "$dir/cloud.out")"
  # And the local broker serves a client directly.
  mosquitto_sub -h 127.0.0.1 -p "$local_port" -t 'demo/boiler/pressure' -C 1 -W 30 >"$dir/local.out" ||
    die "smoke: no reading from the gateway's local broker"
  say "smoke test passed: cloud received $(cat "$dir/cloud.out")"
  stop_all
}

do_test() {
  [ -x "$build_dir/bin/edge-gateway" ] || do_build
  say "unit tests under $qemu"
  ctest --preset "$arch" -j "$jobs" --timeout 600 --no-tests=error
  say "smoke test under $qemu"
  smoke_test
}

# Depends: dpkg-shlibdeps cannot resolve the target's libraries against the build machine's dpkg
# database, so it runs on the native build of the same source (same Debian release, same library
# packages), after checking that both binaries need exactly the same shared libraries.
native_depends() {
  local native=build/bin/edge-gateway needed_native needed_cross dir
  [ -x "$native" ] || GW_JOBS="$jobs" bash scripts/build.sh default --target edge-gateway >&2
  needed_native="$(readelf -d "$native" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sed 's/^ld-linux.*/LD/' | sort)"
  needed_cross="$(readelf -d "$build_dir/bin/edge-gateway" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sed 's/^ld-linux.*/LD/' | sort)"
  [ "$needed_native" = "$needed_cross" ] ||
    die "the native and $arch binaries need different libraries; cannot reuse the native Depends"
  dir="$(mktemp -d)"
  mkdir -p "$dir/debian"
  touch "$dir/debian/control"
  (cd "$dir" && dpkg-shlibdeps -O "$OLDPWD/$native" 2>/dev/null) | sed -n 's/^shlibs:Depends=//p'
  rm -rf "$dir"
}

do_deb() {
  [ -x "$build_dir/bin/edge-gateway" ] || do_build
  local depends deb
  depends="$(native_depends)"
  [ -n "$depends" ] || die "no Depends computed"
  configure
  cmake --build --preset "$arch" -j "$jobs" --target edge-gateway
  rm -f "$build_dir"/edge-gateway_*.deb
  (cd "$build_dir" && cpack -G DEB -D CPACK_DEBIAN_PACKAGE_DEPENDS="$depends" >/dev/null)
  deb="$(ls "$build_dir"/edge-gateway_*_"$arch".deb)"
  [ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] || die "$deb: wrong Architecture"
  local dir
  dir="$(mktemp -d)"
  dpkg-deb -x "$deb" "$dir"
  readelf -h "$dir/usr/bin/edge-gateway" | grep -q "Machine:.*$elf_machine" ||
    { rm -rf "$dir"; die "$deb: /usr/bin/edge-gateway is not an $elf_machine binary"; }
  rm -rf "$dir"
  say "$deb: Architecture $arch, Depends: $(dpkg-deb -f "$deb" Depends)"
}

case "$what" in
  build) do_build ;;
  test) do_test ;;
  smoke) [ -x "$build_dir/bin/edge-gateway" ] || do_build; smoke_test ;;
  deb) do_deb ;;
  all) do_build; do_test; do_deb ;;
esac
