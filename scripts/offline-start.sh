#!/usr/bin/env bash
# Offline start vs random start (issue #16): trains a gap-conditioned offline CQL policy at p̂ = 1.12 eV on the train
# part of the MP-20 val pool, then runs Exp. 1 (cluster-config/exp1-2core.json's settings: DQN under the pretrained
# reward model, Rb3ScF6 skeleton, no DFT) from that policy (epsilon from 0.2, as Exp. 4) and from random weights
# (epsilon from 1.0), with the same seeds, and prints when each greedy policy first reached 90% of the optimum.
# Usage: [EPISODES=N] scripts/offline-start.sh [OFFLINE_STEPS [SEED ...]]   (default 3000 steps, seeds 0 1 2; EPISODES
# caps each campaign, default 20000 as exp1-2core.json — the random start passed 90% of the optimum after ~1,000 episodes)
# Time on 2 cores: ~12 min of offline training per 3000 steps at batch 256, then up to ~25 min per campaign.
# Outputs: runs/offline-start/cql (the checkpoint), runs/offline-start/<start>-seed<S>/ and runs/offline-start/summary.tsv.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
steps=${1:-3000}
shift || true
seeds=("${@:-0 1 2}")
read -r -a seeds <<< "${seeds[*]}"
read -r -a CLI <<< "${CLI:-scripts/crystal-actors}"  # a command line, e.g. "dotnet path/crystal-actors.dll"
shared=${CRYSTAL_ACTORS_SHARED:-$(cd .. && pwd)/shared}
out=runs/offline-start
mkdir -p "$out/configs"
if [[ ! -d $out/cql/checkpoints ]]; then
  "${CLI[@]}" offline train --data "$shared/data/mp20/mp20_val.jsonl.gz" --steps "$steps" --batch 256 --lr 1e-3 --p-hat 1.12 \
    --seed 0 --threads 1 --out "$out/cql" > "$out/cql.train.log" 2>&1
fi
printf 'start\tseed\tsteps_to_90pct_of_optimum\tbest_mean_reward\toptimum_reward\n' > "$out/summary.tsv"
for seed in "${seeds[@]}"; do
  for start in offline random; do
    name=$start-seed$seed
    config=$out/configs/$name.json
    if [[ $start == offline ]]; then policy="\"initial_policy\": \"../cql\","; eps=0.2; else policy=""; eps=1.0; fi
    cat > "$config" <<JSON
{
  "name": "$name", "output_root": "../", "seed": $seed, $policy
  "episodes": ${EPISODES:-20000}, "greedy_eval_every": 250, "optimum_search": true, "dft_every": 0, "dft_budget": 0,
  "epsilon": { "start": $eps, "end": 0.001, "decay_rate": 2e-4 },
  "dqn": { "n_step": 5, "learning_rate": 5e-4 },
  "relax": { "enabled": false }, "reward_model": { "finetune_steps": 0, "weights": "$shared/reference/megnet/MEGNet-MP-2019.4.1-BandGap-mfi.safetensors" },
  "skeleton": { "data": "$shared/data/mp20/mp20_val.jsonl.gz" }
}
JSON
    [[ -f $out/$name/report.json ]] || "${CLI[@]}" campaign run --config "$config" > "$out/$name.log" 2>&1
    value() { grep -o "\"$1\": *[-0-9.e]*" "$out/$name/report.json" | head -1 | sed 's/.*: *//'; }
    printf '%s\t%s\t%s\t%s\t%s\n' "$start" "$seed" "$(value steps_to_90pct_of_optimum)" "$(value best_mean_reward)" "$(value optimum_reward)" >> "$out/summary.tsv"
  done
done
column -t -s $'\t' "$out/summary.tsv"
