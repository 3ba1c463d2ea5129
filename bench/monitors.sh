#!/usr/bin/env bash
# caretaker beside Uptime Kuma, in one run, on one machine: 2,000 HTTP monitors at a 60 s
# interval against a local target. caretaker first (bench/monitor_runner.rs, 3 minutes),
# then Uptime Kuma (bench/uptime_kuma/run.sh, about 8 minutes). Figures go to
# docs/performance.md. Usage: bench/monitors.sh [--help]
set -euo pipefail
if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
cd "$(dirname "$0")/.."
echo "================ caretaker"
MONITOR_BENCH_MINUTES="${MONITOR_BENCH_MINUTES:-3}" cargo bench -p server --bench monitor_runner
echo
echo "================ Uptime Kuma"
bench/uptime_kuma/run.sh
