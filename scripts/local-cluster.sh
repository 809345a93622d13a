#!/usr/bin/env bash
# A campaign on a three-node Akka.NET cluster on this machine (loopback), run to its end:
#   gpu0  (127.0.0.1:4053, seed)  coordinator, learner, offline-cql, fine-tuner, reward-model
#   cpu0  (127.0.0.1:4054, seed)  rollout, relaxer, dft-worker, reward-model
#   cpu1  (127.0.0.1:4055)        rollout, relaxer, dft-worker, reward-model
# The last line is the audit of the journal:  nodes=3 episodes=E dft_finished=D lost=0 duplicated=0
#
#   scripts/local-cluster.sh [--config FILE] [--journal sqlite|postgres] [--kill-gpu0-at N] [--kill-cpu0-at N]
#     --kill-gpu0-at N   SIGKILL gpu0 (coordinator, learner) once N episodes are journaled, then restart it:
#                        the campaign resumes from the journal while the generators on cpu0/cpu1 wait
#     --kill-cpu0-at N   SIGKILL cpu0 once N DFT jobs were requested (a DFT or relax job may be running), restart it
# Each node's log: runs/<name>/logs/<node>.log (the roles it ran are on its first lines).
# Env: CRYSTAL_ACTORS_CLI (command that runs a prebuilt CLI), LOCAL_CLUSTER_PORT (first of three ports, default 4053).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
config=cluster-config/campaign-smoke.json journal=sqlite kill_gpu0=0 kill_cpu0=0
while (($#)); do
  case $1 in
    --config) config=$2; shift 2 ;;
    --journal) journal=$2; shift 2 ;;
    --kill-gpu0-at) kill_gpu0=$2; shift 2 ;;
    --kill-cpu0-at) kill_cpu0=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "local-cluster.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ -f $config ]] || { echo "local-cluster.sh: campaign config '$config' does not exist" >&2; exit 2; }
read -ra CLI <<< "${CRYSTAL_ACTORS_CLI:-scripts/crystal-actors}"  # e.g. "dotnet src/CrystalActors.Cli/bin/Release/net10.0/crystal-actors.dll"
"${CLI[@]}" --version > /dev/null  # build once before starting three processes
# Three nodes share this machine's cores: one MPI rank per pw.x run (two nodes x two ranks on two cores made
# each DFT job 25x slower). The derived config sits beside the original so that its relative paths still hold.
derived=$(dirname "$config")/.local-cluster-$(basename "$config")
sed 's/"mpi_ranks": *[0-9]*/"mpi_ranks": 1/' "$config" > "$derived"
config=$derived
name=$(sed -n 's/.*"name": *"\([^"]*\)".*/\1/p' "$config" | head -1)
journal_args=(--journal "$journal")
if [[ $journal == postgres ]]; then
  pg_dir=${PG_DIR:-/tmp/crystal-actors-pg-$$}
  scripts/postgres.sh start "$pg_dir" > /dev/null
  # shellcheck disable=SC1091
  source "$pg_dir/postgres.env"
  journal_args+=(--journal-target "$CRYSTAL_ACTORS_JOURNAL")
fi
out=runs/local-cluster-$name
mkdir -p "$out"
base=${LOCAL_CLUSTER_PORT:-4053}
seeds=127.0.0.1:$base,127.0.0.1:$((base + 1))
declare -A PORT=([gpu0]=$base [cpu0]=$((base + 1)) [cpu1]=$((base + 2)))
declare -A ROLES=([gpu0]=coordinator,learner,offline-cql,fine-tuner,reward-model
                  [cpu0]=rollout,relaxer,dft-worker,reward-model [cpu1]=rollout,relaxer,dft-worker,reward-model)
declare -A PIDS
# A restarted gpu0 lists cpu0 first: as the first seed of its own list it could, when cpu0 answers late (the old
# incarnation not yet downed, a loaded machine), join itself and form a second cluster without the workers.
rejoin_seeds=127.0.0.1:$((base + 1)),127.0.0.1:$base
start() {
  CRYSTAL_ACTORS_NO_LIVE=1 setsid "${CLI[@]}" campaign run --config "$config" --node "$1" --roles "${ROLES[$1]}" --port "${PORT[$1]}" \
    --seeds "${2:-$seeds}" --profile local-cluster --host 127.0.0.1 "${journal_args[@]}" >> "$out/$1.out" 2>&1 &
  PIDS[$1]=$!
  echo "[local-cluster] started $1 (pid ${PIDS[$1]}, roles ${ROLES[$1]})" >&2
}
kill9() { kill -KILL -- -"${PIDS[$1]}" 2> /dev/null || true; wait "${PIDS[$1]}" 2> /dev/null || true; }
cleanup() {
  for n in "${!PIDS[@]}"; do kill -TERM "${PIDS[$n]}" 2> /dev/null || true; done
  sleep 2
  for n in "${!PIDS[@]}"; do kill -KILL -- -"${PIDS[$n]}" 2> /dev/null || true; done
  [[ $journal == postgres ]] && scripts/postgres.sh stop "$pg_dir" > /dev/null || true
}
trap 'cleanup; rm -f "$derived"' EXIT
audit_args=(--config "$config")
[[ $journal == postgres ]] && audit_args+=(--postgres --journal-target "$CRYSTAL_ACTORS_JOURNAL")
field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<< "$2"; }

start gpu0
sleep 6  # gpu0 forms the cluster (first seed) before the others join
start cpu0
start cpu1
killed_gpu0=0 killed_cpu0=0
while kill -0 "${PIDS[gpu0]}" 2> /dev/null; do
  sleep 3
  if ((kill_gpu0 > 0 && !killed_gpu0)) || ((kill_cpu0 > 0 && !killed_cpu0)); then
    line=$("${CLI[@]}" campaign audit "${audit_args[@]}" 2> /dev/null || true)
    if ((kill_gpu0 > 0 && !killed_gpu0)) && [[ -n $(field episodes "$line") ]] && (($(field episodes "$line") >= kill_gpu0)); then
      echo "[local-cluster] SIGKILL gpu0 at: $line" >&2; kill9 gpu0; killed_gpu0=1; sleep 2; start gpu0 "$rejoin_seeds"
    fi
    if ((kill_cpu0 > 0 && !killed_cpu0)) && [[ -n $(field dft_requested "$line") ]] && (($(field dft_requested "$line") >= kill_cpu0)); then
      echo "[local-cluster] SIGKILL cpu0 at: $line" >&2; kill9 cpu0; killed_cpu0=1; sleep 2; start cpu0
    fi
  fi
done
wait "${PIDS[gpu0]}" || { echo "[local-cluster] gpu0 failed; see $out/gpu0.out" >&2; exit 1; }
for n in cpu0 cpu1; do
  for _ in $(seq 30); do kill -0 "${PIDS[$n]}" 2> /dev/null || break; sleep 1; done
done
line=$("${CLI[@]}" campaign audit "${audit_args[@]}")
echo "$line" >&2
echo "nodes=3 episodes=$(field episodes "$line") dft_finished=$(field dft_finished "$line") lost=$(field lost "$line") duplicated=$(field duplicated "$line")"
