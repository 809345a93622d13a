#!/usr/bin/env bash
# Trains the offline policies shipped under models/offline (issue #20) and ships them (policy.safetensors +
# manifest.json with held-out metrics and predicted gaps per target):
#   bc             behavioural cloning, unconditional, lr 2e-3 with a 500-step warm-up and cosine decay over 20,000
#                  steps; ships its best held-out checkpoint (accuracy; step 18,000: 55.9 / 75.1 / 86.9 %)
#   cql-uncond-w5  CQL ω = 5 without p̂ in the state: 300 steps at lr 1e-4 from bc (a larger lr, 3e-4, costs ~3 points
#                  of accuracy for the same validity); ships the last checkpoint
#   cql-cond-w5    CQL ω = 5 conditioned on p̂, one network for p̂ = 1.12, 2, 3 and 4 eV, reward without the energy
#                  term (α1 = 0: the gap term alone carries p̂), 2,000 steps at lr 1e-3 from bc; ships the last
#                  checkpoint (at lr 3e-4 the fills did not yet depend on p̂; 4,000 steps moved them less, not more)
# Each run trains on the train part of the fixed MP-20 val split (non-metals) and measures the held-out part every
# EVAL_EVERY steps (heldout.csv). Resumable: re-running continues every run from its last checkpoint; a shipped
# policy is replaced only when its run has finished.
#
# Time (batch 256): on this 2-core machine BC runs at ~12 steps/s with --threads 1 (two shards on two cores) on a quiet
# machine and CQL at about half that: 35 min for BC's 20,000 steps, ~1 min for cql-uncond-w5 and ~8 min for
# cql-cond-w5. On a GPU node: DEVICE=cuda:0 (one shard there); not measured, since no GPU was lent when these were
# trained.
#
# Usage: scripts/train-offline-policies.sh [bc|cql-uncond-w5|cql-cond-w5 ...]   (default: all three, in order)
# Environment: BC_STEPS, EVAL_EVERY, DEVICE (cpu|cuda:0), OUT (runs/offline-policies), SHIP (models/offline)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
read -r -a CLI <<< "${CLI:-scripts/crystal-actors}"
shared=${CRYSTAL_ACTORS_SHARED:-$(cd .. && pwd)/shared}
data=$shared/data/mp20/mp20_val.jsonl.gz
out=${OUT:-runs/offline-policies}
ship=${SHIP:-models/offline}
bc_steps=${BC_STEPS:-20000}
eval_every=${EVAL_EVERY:-500}
device=${DEVICE:-cpu}
threads=$([[ $device == cpu ]] && echo 1 || echo 0)
common=(--data "$data" --batch 256 --eval-every "$eval_every" --checkpoint-every "$eval_every" --device "$device" --threads "$threads")

train_and_ship() { # name, what to ship (best: the run's best held-out checkpoint; last: its final one), training flags
  local name=$1 ship_what=$2; shift 2
  "${CLI[@]}" offline train "${common[@]}" --out "$out/$name" "$@"
  local from=$out/$name
  [[ $ship_what == last ]] && from=$(ls "$out/$name"/checkpoints/step_*.safetensors | tail -1)
  "${CLI[@]}" offline ship --from "$from" --name "$name" --data "$data" --out "$ship"
}

for name in "${@:-bc cql-uncond-w5 cql-cond-w5}"; do
  for n in $name; do
    case $n in
      bc) train_and_ship bc best --bc --no-condition --steps "$bc_steps" --lr 2e-3 --lr-schedule cosine --warmup 500 ;;
      cql-uncond-w5) train_and_ship cql-uncond-w5 last --no-condition --cql-weight 5 --steps 300 --lr 1e-4 --init-from "$out/bc" ;;
      cql-cond-w5) train_and_ship cql-cond-w5 last --cql-weight 5 --alpha1 0 --target-gaps 1.12 2 3 4 --steps 2000 --lr 1e-3 \
                     --init-from "$out/bc" ;;
      *) echo "train-offline-policies.sh: unknown policy '$n' (bc, cql-uncond-w5, cql-cond-w5)" >&2; exit 2 ;;
    esac
  done
done
