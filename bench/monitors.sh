#!/usr/bin/env bash
# caretaker beside Uptime Kuma, in one run, on one machine: 2,000 HTTP monitors at a 60 s
# interval against a local target. caretaker first (bench/monitor_runner.rs, 3 minutes),
# then Uptime Kuma (bench/uptime_kuma/run.sh, about 8 minutes), from an installation made
# outside this repository: KUMA_DIR=/path/to/uptime-kuma bench/monitors.sh [--help].
# Figures go to docs/performance.md.
set -euo pipefail
if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
cd "$(dirname "$0")/.."
if [[ ! -f "${KUMA_DIR:-}/server/server.js" ]]; then
  echo "Set KUMA_DIR to an Uptime Kuma installation made outside this repository." >&2
  exit 2
fi
echo "================ caretaker"
MONITOR_BENCH_MINUTES="${MONITOR_BENCH_MINUTES:-3}" cargo bench -p server --bench monitor_runner
echo
echo "================ Uptime Kuma"
bench/uptime_kuma/run.sh
