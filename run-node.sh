#!/usr/bin/env bash
# Starts a CrystalActors node for a campaign (set-up first: scripts/bootstrap.sh).
#
#   ./run-node.sh                     # the main job: a short campaign on one node with every role, SQLite journal
#                                     # in runs/<name>/state (cluster-config/campaign-smoke.json)
#   ./run-node.sh --config cluster-config/exp3-reward-model-and-dft-random.json
#   ./run-node.sh --config C --node cpu3 --roles rollout,relaxer,dft-worker,reward-model \
#       --host $(hostname -s) --port 4053 --seeds gpu01:4053 --profile hpc --journal postgres
#                                     # one node of a multi-node cluster (see scripts/local-cluster.sh, README)
#
# Every option after --config is passed to `crystal-actors campaign run` (see its --help).
# Re-running the same command resumes the campaign where its journal stops.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

config=cluster-config/campaign-smoke.json
args=()
while (($#)); do
  case $1 in
    --config) config=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done
[[ -f $config ]] || { echo "run-node.sh: campaign config '$config' does not exist" >&2; exit 2; }

# Set-up lines go to runs/build.log (shown if it fails), not into the run's output.
scripts/quietly "${CRYSTAL_ACTORS_BUILD_LOG:-runs/build.log}" scripts/bootstrap.sh
exec scripts/crystal-actors campaign run --config "$config" "${args[@]}"
