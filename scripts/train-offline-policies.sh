#!/usr/bin/env bash
# Trains the offline policies shipped under models/offline (issue #20) and ships them (policy.safetensors +
# manifest.json with held-out metrics and predicted gaps per target):
#   bc             behavioural cloning, unconditional
#   cql-uncond-w5  CQL ω = 5 without p̂ in the state, started from bc
#   cql-cond-w5    CQL ω = 5 conditioned on p̂, one network for p̂ = 1.12, 2, 3 and 4 eV, started from bc
# Each run trains on the train part of the fixed MP-20 val split (non-metals), measures the held-out part every
# EVAL_EVERY steps (heldout.csv) and ships its best held-out checkpoint. Resumable: re-running continues every run
# from its last checkpoint; a shipped policy is replaced only when its run has finished.
#
# Time (BC_STEPS=20000, CQL_STEPS=3000, batch 256): on this 2-core machine BC runs at 6-11 steps/s with
# --threads 1 (two shards on two cores) and CQL at about half that: ~45 min for BC and ~15 min for each CQL run. On a GPU
# node: DEVICE=cuda:0 (one shard there); not measured, since no GPU was lent when these were trained.
#
# Usage: scripts/train-offline-policies.sh [bc|cql-uncond-w5|cql-cond-w5 ...]   (default: all three, in order)
# Environment: BC_STEPS, CQL_STEPS, EVAL_EVERY, DEVICE (cpu|cuda:0), OUT (runs/offline-policies), SHIP (models/offline)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
read -r -a CLI <<< "${CLI:-scripts/crystal-actors}"
shared=${CRYSTAL_ACTORS_SHARED:-$(cd .. && pwd)/shared}
data=$shared/data/mp20/mp20_val.jsonl.gz
out=${OUT:-runs/offline-policies}
ship=${SHIP:-models/offline}
bc_steps=${BC_STEPS:-20000}
cql_steps=${CQL_STEPS:-3000}
eval_every=${EVAL_EVERY:-500}
device=${DEVICE:-cpu}
threads=$([[ $device == cpu ]] && echo 1 || echo 0)
common=(--data "$data" --batch 256 --eval-every "$eval_every" --checkpoint-every "$eval_every" --device "$device" --threads "$threads")

train_and_ship() {
  local name=$1; shift
  "${CLI[@]}" offline train "${common[@]}" --out "$out/$name" "$@"
  "${CLI[@]}" offline ship --from "$out/$name" --name "$name" --data "$data" --out "$ship"
}

for name in "${@:-bc cql-uncond-w5 cql-cond-w5}"; do
  for n in $name; do
    case $n in
      bc) train_and_ship bc --bc --no-condition --steps "$bc_steps" --lr 2e-3 --lr-schedule cosine --warmup 500 ;;
      cql-uncond-w5) train_and_ship cql-uncond-w5 --no-condition --cql-weight 5 --steps "$cql_steps" --lr 5e-4 --lr-schedule cosine \
                       --init-from "$out/bc" --select-by accuracy-validity ;;
      cql-cond-w5) train_and_ship cql-cond-w5 --cql-weight 5 --target-gaps 1.12 2 3 4 --steps "$cql_steps" --lr 5e-4 --lr-schedule cosine \
                     --init-from "$out/bc" --select-by validity ;;
      *) echo "train-offline-policies.sh: unknown policy '$n' (bc, cql-uncond-w5, cql-cond-w5)" >&2; exit 2 ;;
    esac
  done
done
