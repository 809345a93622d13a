#!/usr/bin/env bash
# Starts CrystalActors node(s) for a campaign.
#
#   ./run-node.sh                                   # the main job: a short campaign, one node, all roles,
#                                                   # embedded transport, SQLite journal (campaign-smoke.json)
#   ./run-node.sh --config cluster-config/exp3-reward-model-and-dft-random.json
#   ./run-node.sh --config C --topology cluster-config/local-cluster.json
#                                                   # head + 2 DFT worker processes on this machine, with a
#                                                   # loopback RabbitMQ this script starts and stops
#   ./run-node.sh --config C --topology T --node NAME [--roles a,b]
#                                                   # one node of a multi-machine topology (see cluster-config/slurm)
#
# Re-running the same command resumes the campaign where its journal stops.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

config=cluster-config/campaign-smoke.json
topology=""
node=""
roles=""
while (($#)); do
  case $1 in
    --config) config=$2; shift 2 ;;
    --topology) topology=$2; shift 2 ;;
    --node) node=$2; shift 2 ;;
    --roles) roles=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "run-node.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ -f $config ]] || { echo "run-node.sh: campaign config '$config' does not exist" >&2; exit 2; }
[[ -z $topology || -f $topology ]] || { echo "run-node.sh: topology '$topology' does not exist" >&2; exit 2; }

scripts/bootstrap.sh
CLI=scripts/crystal-actors
args=(campaign run --config "$config")
[[ -n $topology ]] && args+=(--topology "$topology")
[[ -n $roles ]] && args+=(--roles "$roles")

if [[ -n $topology && -z $node && $(grep -c '"rabbitmq"' "$topology") -gt 0 ]]; then
  # Every node of the topology on this machine, with a broker on loopback.
  broker_dir=runs/$(basename "$topology" .json)/broker
  scripts/broker.sh start "$broker_dir"
  # shellcheck disable=SC1091
  set -a; source "$broker_dir/broker.env"; set +a
  nodes=$(grep '"roles"' "$topology" | grep -o '"name": *"[^"]*"' | cut -d'"' -f4 | tr '\n' ' ')
  nodes=${nodes% }
  head=${nodes%% *}
  pids=()
  cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    wait "${pids[@]}" 2>/dev/null || true
    scripts/broker.sh stop "$broker_dir" || true
  }
  trap cleanup EXIT
  "$CLI" --version >/dev/null  # build once before starting several processes
  for n in ${nodes#"$head"}; do
    "$CLI" "${args[@]}" --node "$n" > "runs/$(basename "$topology" .json)/$n.log" 2>&1 &
    pids+=($!)
    echo "started node $n (log: runs/$(basename "$topology" .json)/$n.log)"
  done
  "$CLI" "${args[@]}" --node "$head"
  exit $?
fi

[[ -n $node ]] && args+=(--node "$node")
exec "$CLI" "${args[@]}"
