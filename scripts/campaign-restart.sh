#!/usr/bin/env bash
# Kill -9 a running campaign node in the middle of its DFT work, restart it, and check from the
# journal and the job table that no DFT job was lost or run twice. Ends with the audit line, e.g.
#   episodes=96 dft_requested=4 dft_finished=4 in_flight=0 jobs=4 completed=4 failed=0 lost=0 duplicated=0
# Usage: scripts/campaign-restart.sh [CONFIG]   (default: cluster-config/campaign-smoke.json, run as "restart-check")
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
src=${1:-cluster-config/campaign-smoke.json}
cfg=cluster-config/.restart-check.json
sed 's/"name": *"[^"]*"/"name": "restart-check"/' "$src" > "$cfg"
trap 'rm -f "$cfg"' EXIT
rm -rf runs/restart-check
CLI=scripts/crystal-actors
"$CLI" --version >/dev/null

setsid "$CLI" campaign run --config "$cfg" > runs/restart-check.1.log 2>&1 &
pid=$!
echo "started campaign (pid $pid); waiting for DFT jobs in flight"
for _ in $(seq 600); do
  sleep 1
  line=$("$CLI" campaign audit --config "$cfg" 2>/dev/null || true)
  req=$(sed -n 's/.*dft_requested=\([0-9]*\).*/\1/p' <<<"$line")
  if [[ -n $req && $req -ge 2 ]]; then break; fi
  kill -0 "$pid" 2>/dev/null || { echo "the campaign ended before the kill point"; break; }
done
echo "before kill: $line"
kill -KILL -- -"$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
echo "killed the node (SIGKILL); restarting"
"$CLI" campaign run --config "$cfg" > runs/restart-check.2.log 2>&1
"$CLI" campaign audit --config "$cfg"
