# Shell helpers for scripts that start local processes on loopback ports (the cross-build smoke
# test, the soak and outage benchmarks). Source it; it defines functions only.

# A TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port PORT SECONDS [PID]: waits until 127.0.0.1:PORT accepts connections, for at most
# SECONDS; gives up at once when PID (the process that should listen) has exited. Status 0 when
# the port listens, 1 otherwise.
wait_port() {
  python3 - "$@" <<'PY'
import os, socket, sys, time
port, deadline = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
pid = int(sys.argv[3]) if len(sys.argv) > 3 else 0
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        sys.exit(0)
    except OSError:
        pass
    if pid:
        try:
            os.kill(pid, 0)
        except OSError:
            sys.exit(1)
    time.sleep(0.05)
sys.exit(1)
PY
}

# start_work PREFIX: makes the work directory $work (under $OUT, kept, when OUT is set; else a
# temporary one, removed at exit), and on any exit stops every process whose pid the caller added
# to the array `pids`.
start_work() {
  if [ -n "${OUT:-}" ]; then
    mkdir -p "$OUT"
    work="$(mktemp -d "$OUT/$1.XXXXXX")"
  else
    work="$(mktemp -d)"
  fi
  pids=()
  trap stop_all EXIT
  trap 'exit 130' INT TERM
}
stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -n "${OUT:-}" ] || rm -rf "$work"
}
