#!/usr/bin/env bash
# Kill -9 a running campaign node in the middle of its DFT work, restart it, and check from the
# journal and the job table that no DFT job was lost or run twice. Ends with the audit line, e.g.
#   episodes=96 dft_requested=4 dft_finished=4 in_flight=0 jobs=4 completed=4 failed=0 lost=0 duplicated=0
# Usage: scripts/campaign-restart.sh [CONFIG [KILL_AT]]
#   CONFIG   default cluster-config/campaign-smoke.json; runs under the name RUN_NAME (default restart-check)
#   KILL_AT  kill once this many DFT jobs were requested (default 2), or finished with KILL_FIELD=dft_finished
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
src=${1:-cluster-config/campaign-smoke.json}
kill_at=${2:-2}
name=${RUN_NAME:-restart-check}
cfg=cluster-config/.$name.json
sed "s/\"name\": *\"[^\"]*\"/\"name\": \"$name\"/" "$src" > "$cfg"
trap 'rm -f "$cfg"' EXIT
rm -rf "runs/$name"
mkdir -p runs
read -ra CLI <<< "${CLI:-scripts/crystal-actors}"  # CLI="dotnet .../crystal-actors.dll" runs a fixed build while sources change
"${CLI[@]}" --version >/dev/null

setsid "${CLI[@]}" campaign run --config "$cfg" > "runs/$name.1.log" 2>&1 &
pid=$!
echo "started campaign (pid $pid); waiting for DFT jobs in flight"
for _ in $(seq 3600); do
  sleep 5
  line=$("${CLI[@]}" campaign audit --config "$cfg" 2>/dev/null || true)
  req=$(sed -n "s/.*${KILL_FIELD:-dft_requested}=\([0-9]*\).*/\1/p" <<<"$line")
  if [[ -n $req && $req -ge $kill_at ]]; then break; fi
  kill -0 "$pid" 2>/dev/null || { echo "the campaign ended before the kill point"; break; }
done
echo "before kill: $line"
kill -KILL -- -"$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
echo "killed the node (SIGKILL); restarting"
"${CLI[@]}" campaign run --config "$cfg" > "runs/$name.2.log" 2>&1
"${CLI[@]}" campaign audit --config "$cfg"
