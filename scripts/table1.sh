#!/usr/bin/env bash
# The offline paper's sweeps (Table 1, with Table 3's post-simulation columns): for each target gap p̂, the 16 CQL
# models (α1 ∈ {0,1}, α2 ∈ {5,10}, β ∈ {1,3}, ω ∈ {1,5}) and the three baselines (random, behavioural cloning,
# unconditional CQL with ω = 5), each trained on the train part of the fixed MP-20 val split (non-metals) with
# several seeds, generated greedily on the held-out non-metal skeletons, evaluated (accuracy, class similarity,
# SMACT validity, reconstruction, the band-gap model's predicted gaps; with --dft N also ν, κ, EMDs by DFT through the
# farm), then one table per target with mean ± std over seeds: runs/table1/p<p̂>/table.md and table.csv.
#
# Usage: scripts/table1.sh [options]
#   --targets "1.12 2 3 4"   target gaps (eV)                      --seeds "0 1 2"   training seeds
#   --steps N (2000)  --batch B (256)  --lr LR (3e-4)              the paper: 250000 steps at batch 1024, lr 3e-4
#   --rows "bc cql-1-10-3-w5 ..."   only these models (default: all 19)
#   --dft N (0)   DFT this many SMACT-valid generated crystals per model (and their true crystals; cached)
#   --dft-args "..."   extra `offline evaluate` options, e.g. "--ecutwfc 30 --kspacing 0.4 --runners 2"
#   --device D   training device (cpu, cuda, auto)
#   --init-from P   every trained model starts from this policy (e.g. models/offline/bc) and trains --steps more
#                   with its own objective: a short budget then measures the objectives, not how far each got
#                   from random weights (the paper trains each from scratch)
#   --one-network   each conditioned CQL model is one network for all --targets (offline train --target-gaps),
#                   trained once per seed and generated at each p̂: 16 trainings per seed instead of 16 per target
# Resumable: a finished model (metrics.json present) is skipped, training resumes from its last checkpoint, and
# DFT jobs resume from the evaluation farm's journal. BC ignores the reward and is trained once per seed.
# A later run with --dft N (and --rows) adds the post-simulation columns to finished models without retraining.
# On a GPU node: scripts/table1.sh --steps 250000 --batch 1024 --device cuda --seeds "0 1 2" --dft 100
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
targets="1.12 2 3 4"; seeds="0 1 2"; steps=2000; batch=256; lr=3e-4; only=""; dft=0; dft_args=""; device=cpu; init=(); one_network=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --targets) targets=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --lr) lr=$2; shift 2 ;;
    --rows) only=$2; shift 2 ;;
    --dft) dft=$2; shift 2 ;;
    --dft-args) dft_args=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;
    --init-from) init=(--init-from "$2"); shift 2 ;;
    --one-network) one_network=1; shift ;;
    *) echo "table1.sh: unknown option '$1' (see the header of $0)" >&2; exit 2 ;;
  esac
done
read -r -a CLI <<< "${CLI:-scripts/crystal-actors}"  # a command line, e.g. "dotnet path/crystal-actors.dll"
shared=${CRYSTAL_ACTORS_SHARED:-$(cd .. && pwd)/shared}
data=$shared/data/mp20/mp20_val.jsonl.gz
out=${TABLE1_OUT:-runs/table1}
threads=$([[ $device == cpu ]] && echo 1 || echo 0)

# label | training flags ("random": no training; "bc": reward-free, shared by all targets)
rows=("random|" "bc|--bc" "cql-uncond-w5|--no-condition --cql-weight 5")
for a1 in 0 1; do for a2 in 5 10; do for b in 1 3; do for w in 1 5; do
  rows+=("cql-$a1-$a2-$b-w$w|--alpha1 $a1 --alpha2 $a2 --beta $b --cql-weight $w")
done; done; done; done

train() { # model folder, then training flags
  local model=$1; shift
  [[ -f $model/.done ]] && return 0
  mkdir -p "$model"
  "${CLI[@]}" offline train --data "$data" --steps "$steps" --batch "$batch" --lr "$lr" --seed "$seed" \
    --threads "$threads" --device "$device" "${init[@]}" "$@" --out "$model" > "$model.train.log" 2>&1
  touch "$model/.done"
}

for p in $targets; do
  tdir=$out/p$p
  for row in "${rows[@]}"; do
    label=${row%%|*}; flags=${row#*|}
    [[ -z $only || " $only " == *" $label "* ]] || continue
    for seed in $seeds; do
      dir=$tdir/$label/seed$seed
      if [[ -f $dir/metrics.json ]] && grep -q '"mean_predicted_gap_ev"' "$dir/metrics.json" \
         && { [[ $dft == 0 ]] || grep -q '"dft_n"' "$dir/metrics.json"; }; then continue; fi
      mkdir -p "$dir"
      if [[ ! -f $dir/generated/generated.jsonl ]]; then
        if [[ $label == random ]]; then
          "${CLI[@]}" offline generate --policy random --seed "$seed" --data "$data" --part heldout --non-metals --p-hat "$p" --out "$dir/generated" > "$dir/generate.log" 2>&1
        else
          model=$dir/model
          # shellcheck disable=SC2086
          if [[ $label == bc ]]; then model=$out/bc/seed$seed; train "$model" $flags --p-hat "$p"
          elif [[ $one_network == 1 && $label == cql-[01]-* ]]; then
            model=$out/one-network/$label/seed$seed; train "$model" $flags --target-gaps $targets
          else train "$model" $flags --p-hat "$p"; fi
          "${CLI[@]}" offline generate --checkpoint "$model" --data "$data" --part heldout --non-metals --p-hat "$p" \
            --out "$dir/generated" > "$dir/generate.log" 2>&1
        fi
      fi
      # shellcheck disable=SC2086
      "${CLI[@]}" offline evaluate --generated "$dir/generated" --data "$data" --label "$label" --p-hat "$p" --dft "$dft" \
        --predict-gaps --seed "$seed" --state "$tdir/dft-farm" $dft_args --out "$dir/metrics.json" > "$dir/evaluate.log" 2>&1
      echo "p̂=$p $label seed $seed: $(tr -d '\n' < "$dir/metrics.json")"
    done
  done
  echo "p̂ = $p eV: $steps steps at batch $batch (the paper: 250000 at 1024, i.e. $(awk -v s="$steps" -v b="$batch" 'BEGIN{printf "%.2f", 100*s*b/(250000*1024)}')% of its samples)${init:+, each started from ${init[1]}}"
  "${CLI[@]}" offline summarize --root "$tdir"
done
