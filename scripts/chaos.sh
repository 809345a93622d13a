#!/usr/bin/env bash
# Fault injection on the Akka.NET DFT farm with real pw.x: a coordinator node (the farm singleton, SQLite journal)
# and two DFT-worker nodes on loopback run tiny Si jobs while this script SIGKILLs and restarts random worker
# nodes and the coordinator node. One poison job (a payload no worker accepts) must end dead-lettered.
#
#   scripts/chaos.sh           # 100 Si jobs, 10 worker SIGKILLs, 3 coordinator SIGKILLs
#   scripts/chaos.sh --short   # the CI form: 50 jobs, 5 worker kills, 2 coordinator kills (~3-5 min on 2 cores)
#
# The last line is read from the farm's journal:  jobs=N completed=N lost=0 duplicated=0
# (the learner and coordinator of a whole campaign are killed by scripts/local-cluster.sh --kill-gpu0-at N).
# Env: CRYSTAL_ACTORS_CLI (a prebuilt crystal-actors to use), CHAOS_DIR (run directory, default mktemp), CHAOS_SEED.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
JOBS=100 WORKER_KILLS=10 COORD_KILLS=3
if [[ ${1:-} == --short ]]; then JOBS=50 WORKER_KILLS=5 COORD_KILLS=2; fi
RANDOM=${CHAOS_SEED:-$$}
RUN=${CHAOS_DIR:-$(mktemp -d /tmp/crystal-actors-chaos.XXXXXX)}
mkdir -p "$RUN"
log() { echo "[chaos $(date +%H:%M:%S)] $*" >&2; }

command -v pw.x > /dev/null || { echo "chaos.sh: pw.x not found (apt-get install quantum-espresso)" >&2; exit 3; }
if [[ -n ${CRYSTAL_ACTORS_CLI:-} ]]; then CLI=(${CRYSTAL_ACTORS_CLI})
else
  log "building crystal-actors into $RUN/cli"
  dotnet build "$ROOT/src/CrystalActors.Cli" -c Release -o "$RUN/cli" -v q -nologo > "$RUN/build.log" 2>&1 || { tail -30 "$RUN/build.log" >&2; exit 4; }
  CLI=(dotnet "$RUN/cli/crystal-actors.dll")
fi
if [[ -z ${CRYSTAL_ACTORS_SHARED:-} ]]; then
  for d in "$ROOT/../shared" "$ROOT/shared"; do [[ -d $d/pseudo ]] && export CRYSTAL_ACTORS_SHARED=$(cd "$d" && pwd) && break; done
fi
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE

BASE=${CHAOS_PORT:-$((4200 + RANDOM % 500))}
declare -A PORT=([head]=$BASE [dft-1]=$((BASE + 1)) [dft-2]=$((BASE + 2)))
declare -A ROLES=([head]=coordinator [dft-1]=dft-worker [dft-2]=dft-worker)
SEEDS=127.0.0.1:${PORT[head]},127.0.0.1:${PORT[dft-1]}
declare -A PIDS
start_node() {
  setsid "${CLI[@]}" cluster node --node "$1" --roles "${ROLES[$1]}" --port "${PORT[$1]}" --seeds "$SEEDS" --profile local-cluster \
    --state "$RUN/state" --lease-seconds 10 --max-attempts 20 --ranks 1 >> "$RUN/$1.out" 2>&1 &
  PIDS[$1]=$!
}
kill9() { kill -KILL -- -"${PIDS[$1]}" 2> /dev/null || true; wait "${PIDS[$1]}" 2> /dev/null || true; }
cleanup() {
  for n in "${!PIDS[@]}"; do kill -TERM -- -"${PIDS[$n]}" 2> /dev/null || true; done
  sleep 2
  for n in "${!PIDS[@]}"; do kill -KILL -- -"${PIDS[$n]}" 2> /dev/null || true; done
}
trap cleanup EXIT

start_node head
sleep 6
start_node dft-1
start_node dft-2
"${CLI[@]}" cluster submit --seeds "$SEEDS" --port 0 --profile local-cluster --count "$JOBS" --poison 1 >&2

# The faults, one every few seconds while work remains: W = SIGKILL a random worker node and restart it,
# C = SIGKILL the coordinator node (the farm singleton and its journal writer) and restart it.
plan=()
for ((i = 0; i < WORKER_KILLS; i++)); do plan+=(W); done
for ((i = 0; i < COORD_KILLS; i++)); do plan=("${plan[@]:0:$((2 + 3 * i))}" C "${plan[@]:$((2 + 3 * i))}"); done
worker_kills=0 coord_kills=0
for step in "${plan[@]}"; do
  sleep $((4 + RANDOM % 4))
  case $step in
    W) w=dft-$((1 + RANDOM % 2)); log "SIGKILL worker node $w"; kill9 "$w"; worker_kills=$((worker_kills + 1)); sleep 1; start_node "$w" ;;
    C) log "SIGKILL coordinator node"; kill9 head; coord_kills=$((coord_kills + 1)); sleep 1; start_node head ;;
  esac
done
log "faults injected: worker_kills=$worker_kills coordinator_kills=$coord_kills; waiting for the rest"
"${CLI[@]}" cluster report --journal-target "$RUN/state/journal.db" --prefix si --wait-seconds 900 --expect "$JOBS" > /dev/null || true
"${CLI[@]}" cluster status --journal-target "$RUN/state/journal.db" >&2 || true
log "logs and state in $RUN"
"${CLI[@]}" cluster report --journal-target "$RUN/state/journal.db" --prefix si
