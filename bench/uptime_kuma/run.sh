#!/usr/bin/env bash
# Uptime Kuma competitor benchmark: N HTTP monitors at INTERVAL s against a local target.
# Runs the Uptime Kuma installed at $KUMA_DIR (made outside the repo; this project never builds
# it) once with a fresh data dir in $BENCH_DIR, prints figures, and stops everything it started.
set -euo pipefail
if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  echo "KUMA_DIR=/path/to/uptime-kuma bench/uptime_kuma/run.sh"
  echo "KUMA_DIR: an Uptime Kuma installation made outside this repository (a folder with server/server.js"
  echo "and a built dist/); this project never installs or builds it. Measured against 2.5.3."
  echo "Tunables (environment): N INTERVAL WARMUP MEASURE STEP KUMA_PORT TARGET_PORT BENCH_DIR."
  exit 0
fi

HERE="$(cd "$(dirname "$0")" && pwd)"
BENCH_DIR="${BENCH_DIR:-/work/uptime-kuma-bench}"
N="${N:-2000}"                   # monitors
INTERVAL="${INTERVAL:-60}"       # seconds
WARMUP="${WARMUP:-90}"           # seconds between creation end and start of sampling
MEASURE="${MEASURE:-240}"        # sampling window, seconds
STEP="${STEP:-5}"                # sampling period, seconds
KUMA_PORT="${KUMA_PORT:-3901}"
TARGET_PORT="${TARGET_PORT:-3902}"

DATA="$BENCH_DIR/data"
OUT="$BENCH_DIR/results-$(date +%Y%m%d-%H%M%S)"
PY="$BENCH_DIR/venv/bin/python"

KUMA_PID=""; TARGET_PID=""
cleanup() {
  if [[ -n "$KUMA_PID" ]] && kill -0 "$KUMA_PID" 2>/dev/null; then
    kill -TERM "$KUMA_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$KUMA_PID" 2>/dev/null || break; sleep 1; done
    kill -KILL "$KUMA_PID" 2>/dev/null || true
  fi
  if [[ -n "$TARGET_PID" ]]; then kill "$TARGET_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT INT TERM

# ---------------------------------------------------------------- the installation
# This project never installs, builds or patches Uptime Kuma (see ../shared/BUILD-NOTES.md):
# point KUMA_DIR at an installation made outside the repository.
if [[ -z "${KUMA_DIR:-}" || ! -f "${KUMA_DIR:-}/server/server.js" ]]; then
  echo "set KUMA_DIR to an Uptime Kuma installation outside this repository; caretaker does not ship a way to build it" >&2
  echo "(KUMA_DIR must be a folder with server/server.js; got '${KUMA_DIR:-}')" >&2
  exit 2
fi
PKG="$(cd "$KUMA_DIR" && pwd -P)"
REPO="$(cd "$HERE/../.." && pwd -P)"
if [[ "$PKG/" == "$REPO/"* ]]; then
  echo "KUMA_DIR ($PKG) is inside this repository; keep Uptime Kuma outside it" >&2
  exit 2
fi
mkdir -p "$BENCH_DIR" "$OUT"
KUMA_VERSION="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$PKG/package.json" | head -1)"
if ! "$PY" -c "import socketio, websocket" 2>/dev/null; then
  echo "== python venv with python-socketio (the benchmark's Socket.IO client, from PyPI)"
  python3 -m venv "$BENCH_DIR/venv"
  "$BENCH_DIR/venv/bin/pip" install -q "python-socketio[client]==5.18.1"
fi

# ---------------------------------------------------------------- start
for p in "$KUMA_PORT" "$TARGET_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "port $p already in use" >&2; exit 1; fi
done
rm -rf "$DATA"; mkdir -p "$DATA" "$BENCH_DIR/target-www"
echo ok > "$BENCH_DIR/target-www/index.html"

echo "== starting target http.server on 127.0.0.1:$TARGET_PORT"
python3 -m http.server "$TARGET_PORT" --bind 127.0.0.1 --directory "$BENCH_DIR/target-www" \
  >"$OUT/target.log" 2>&1 &
TARGET_PID=$!

echo "== starting Uptime Kuma on 127.0.0.1:$KUMA_PORT (data dir $DATA)"
( cd "$PKG" && exec env UPTIME_KUMA_DB_TYPE=sqlite NODE_ENV=production \
    node server/server.js --host=127.0.0.1 --port="$KUMA_PORT" --data-dir="$DATA/" ) >"$OUT/kuma.log" 2>&1 &
KUMA_PID=$!
for _ in $(seq 1 120); do
  if curl -s -o /dev/null "http://127.0.0.1:$KUMA_PORT/"; then break; fi
  kill -0 "$KUMA_PID" 2>/dev/null || { echo "Uptime Kuma exited, see $OUT/kuma.log" >&2; tail -20 "$OUT/kuma.log"; exit 1; }
  sleep 1
done
echo "   node pid $KUMA_PID, $(node --version), idle RSS $(awk '/VmRSS/{print $2/1024 " MiB"}' /proc/$KUMA_PID/status)"

# ---------------------------------------------------------------- create monitors
echo "== creating $N monitors (interval ${INTERVAL}s) -> http://127.0.0.1:$TARGET_PORT/"
"$PY" "$HERE/bench.py" create "http://127.0.0.1:$KUMA_PORT" "$N" "http://127.0.0.1:$TARGET_PORT/" "$INTERVAL" \
  | tee "$OUT/create.txt"

echo "== warm-up ${WARMUP}s"
sleep "$WARMUP"

# ---------------------------------------------------------------- measure (no UI client connected)
echo "== sampling node pid $KUMA_PID every ${STEP}s for ${MEASURE}s"
"$PY" "$HERE/bench.py" sample "$KUMA_PID" "$MEASURE" "$STEP" "$OUT/samples.json" | tee "$OUT/sample.txt"
read -r WSTART WEND < <("$PY" -c "import json;s=json.load(open('$OUT/samples.json'))['summary'];print(s['window_start_epoch'],s['window_end_epoch'])")

echo "== beat lateness from heartbeat table"
"$PY" "$HERE/bench.py" lateness "$DATA/kuma.db" "$WSTART" "$WEND" "$INTERVAL" | tee "$OUT/lateness.txt"

echo "== dashboard load (login -> every monitor's heartbeat list and uptime/avgPing stats received)"
"$PY" "$HERE/bench.py" dashboard "http://127.0.0.1:$KUMA_PORT" "$N" | tee "$OUT/dashboard.txt"
RSS_AFTER=$(awk '/VmRSS/{print $2/1024}' /proc/$KUMA_PID/status)

echo
echo "================ SUMMARY ($OUT)"
echo "uptime-kuma $KUMA_VERSION, node $(node --version), $(nproc) CPUs"
grep -h "_RESULT" "$OUT"/create.txt "$OUT"/sample.txt "$OUT"/lateness.txt "$OUT"/dashboard.txt
echo "RSS right after dashboard load: ${RSS_AFTER} MiB"
echo "kuma.log errors/warnings: $(grep -ciE 'error|warn' "$OUT/kuma.log" || true) lines (see $OUT/kuma.log)"
