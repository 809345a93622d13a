#!/usr/bin/env bash
# Experience flow across nodes: a learner node (coordinator, learner, reward model) and K rollout nodes (generators
# and a reward-model replica each) on loopback, K = 1, 2, 3, an episodes-only campaign (no DFT) for a fixed wall
# time. Reports episodes/s journaled from the generators on the other nodes (steady state: the second half of the
# run), the policy lag, and the policy broadcast latency (learner publication -> weights loaded by each generator).
#   bench/cluster/rollout.sh [SECONDS]     (default 90 s per K; ~6 min on 2 cores)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_PER_K=${1:-90}
read -ra CLI <<< "${CRYSTAL_ACTORS_CLI:-$ROOT/scripts/crystal-actors}"
"${CLI[@]}" --version > /dev/null
OUT=$(mktemp -d /tmp/crystal-actors-rollout.XXXXXX)
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE CRYSTAL_ACTORS_NO_LIVE=1
pids=()
trap 'for p in "${pids[@]}"; do kill -KILL "$p" 2> /dev/null || true; done' EXIT
rows=()
for K in 1 2 3; do
  cfg=$ROOT/bench/cluster/.bench-rollout-$K.json
  sed -e "s/\"name\": *\"[^\"]*\"/\"name\": \"bench-rollout-$K\"/" -e "s|\"output_root\": *\"[^\"]*\"|\"output_root\": \"$OUT\"|" \
      -e "s/\"wall_time_minutes\": *[0-9.]*/\"wall_time_minutes\": $(awk -v s="$SECONDS_PER_K" 'BEGIN { print s / 60 }')/" \
      "$ROOT/bench/cluster/rollout-campaign.json" > "$cfg"
  P=$((4500 + RANDOM % 400))
  SEEDS=127.0.0.1:$P
  common=(campaign run --config "$cfg" --seeds "$SEEDS" --profile local-cluster)
  "${CLI[@]}" "${common[@]}" --node learner --roles coordinator,learner,reward-model --port "$P" > "$OUT/learner-$K.out" 2>&1 &
  lp=$!; pids+=($lp)
  sleep 6
  for ((k = 1; k <= K; k++)); do
    "${CLI[@]}" "${common[@]}" --node "rollout$k" --roles rollout,reward-model --port $((P + k)) > "$OUT/rollout$k-$K.out" 2>&1 &
    pids+=($!)
  done
  wait "$lp" || true
  sleep 8
  run=$OUT/bench-rollout-$K
  eps=$(awk -F, -v T="$SECONDS_PER_K" 'NR > 1 && $3 == "charts/episode_reward" { t[n++] = $1 }
        END { if (n < 4) { print 0; exit } half = t[0] + (t[n-1] - t[0]) / 2; c = 0
              for (i = 0; i < n; i++) if (t[i] >= half) c++; printf "%.1f", c / (t[n-1] - half) }' "$run/scalars.csv")
  lag=$(python3 -c "import json; d = json.load(open('$run/report.json')); print(f\"{d['policy_lag_mean']:.2f}\")")
  lat=$(grep -h "policy broadcast latency" "$run"/logs/rollout*.log | sed -n 's/.*median \([0-9]*\) ms, p95 \([0-9]*\) ms, max \([0-9]*\) ms.*/\1 \2 \3/p' | tail -n "$K" |
        awk '{ m += $1; if ($2 > p) p = $2; if ($3 > x) x = $3; n++ } END { if (n) printf "%d %d %d", m / n, p, x; else print "- - -" }')
  read -r lat_med lat_p95 lat_max <<< "$lat"
  rows+=("| $K | $eps | $lag | $lat_med | $lat_p95 | $lat_max |")
  echo "metric key=episodes_per_s generator_nodes=$K value=$eps"
  echo "metric key=policy_broadcast_median_ms generator_nodes=$K value=$lat_med"
  rm -f "$cfg"
done
printf '\n| rollout nodes | episodes/s (steady) | policy lag (versions) | broadcast median ms | p95 ms | max ms |\n|---|---|---|---|---|---|\n'
printf '%s\n' "${rows[@]}"
echo "outputs in $OUT"
