#!/usr/bin/env bash
# Fault-injection run of DFT farming with a real broker and real pw.x.
#
#   scripts/chaos.sh           # 100 Si jobs, 10 worker SIGKILLs, 2 coordinator SIGKILLs, 1 broker restart
#   scripts/chaos.sh --short   # the CI form: 50 jobs, 5 worker kills, 1 coordinator kill, 1 broker restart (~1-2 min)
#
# A coordinator and 3 DFT-worker processes (`crystal-actors cluster node`, topology derived from
# cluster-config/local-cluster.json) run tiny Si pw.x jobs while this script SIGKILLs random workers and
# the coordinator and restarts them, and stops/starts the broker once. One poison dispatch (a payload no
# executor accepts) is also queued: it must end in the dead-letter queue after its delivery limit.
# The last line is read from the coordinator's journal:  jobs=N completed=N lost=0 duplicated=0
# Env: CRYSTAL_ACTORS_CLI (prebuilt crystal-actors to use), CHAOS_DIR (run directory, default mktemp), CHAOS_SEED.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
JOBS=100 WORKER_KILLS=10 COORD_KILLS=2
if [[ ${1:-} == --short ]]; then JOBS=50 WORKER_KILLS=5 COORD_KILLS=1; fi
RANDOM=${CHAOS_SEED:-$$}
RUN=${CHAOS_DIR:-$(mktemp -d /tmp/crystal-actors-chaos.XXXXXX)}
mkdir -p "$RUN"
log() { echo "[chaos $(date +%H:%M:%S)] $*" >&2; }

command -v pw.x > /dev/null || { echo "chaos.sh: pw.x not found (apt-get install quantum-espresso)" >&2; exit 3; }
if [[ -n ${CRYSTAL_ACTORS_CLI:-} ]]; then CLI=$CRYSTAL_ACTORS_CLI
else
  log "building crystal-actors into $RUN/cli"
  dotnet build "$ROOT/src/CrystalActors.Cli" -c Release -o "$RUN/cli" -v q -nologo > "$RUN/build.log" 2>&1 || { tail -30 "$RUN/build.log" >&2; exit 4; }
  CLI=$RUN/cli/crystal-actors
fi
if [[ -z ${CRYSTAL_ACTORS_SHARED:-} ]]; then
  for d in "$ROOT/../shared" "$ROOT/shared"; do [[ -d $d/pseudo ]] && export CRYSTAL_ACTORS_SHARED=$(cd "$d" && pwd) && break; done
fi

declare -A PIDS
cleanup() {
  for n in "${!PIDS[@]}"; do kill -TERM "${PIDS[$n]}" 2> /dev/null || true; done
  sleep 1
  for n in "${!PIDS[@]}"; do kill -KILL "${PIDS[$n]}" 2> /dev/null || true; done
  "$ROOT/scripts/broker.sh" stop "$RUN/broker" || true
}
trap cleanup EXIT

"$ROOT/scripts/broker.sh" start "$RUN/broker"
set -a; source "$RUN/broker/broker.env"; set +a

TOPO=$RUN/topology.json
cat > "$TOPO" << JSON
{
  "name": "chaos", "transport": "rabbitmq", "stateDir": "$RUN/state",
  "leaseSeconds": 6, "deliveryLimit": 5, "heartbeatSeconds": 1, "maxAttempts": 20,
  "nodes": [
    { "name": "head", "roles": ["coordinator"] },
    { "name": "dft-1", "roles": ["dft-worker"] },
    { "name": "dft-2", "roles": ["dft-worker"] },
    { "name": "dft-3", "roles": ["dft-worker"] }
  ],
  "executor": { "kind": "si-pw" }
}
JSON

start_node() { "$CLI" cluster node --topology "$TOPO" --node "$1" >> "$RUN/$1.log" 2>&1 & PIDS[$1]=$!; }
kill9() { kill -KILL "${PIDS[$1]}" 2> /dev/null || true; wait "${PIDS[$1]}" 2> /dev/null || true; }

for n in head dft-1 dft-2 dft-3; do start_node $n; done
"$CLI" cluster submit --topology "$TOPO" --count "$JOBS" --poison 1 >&2

# The schedule of faults, one step every few seconds while work remains:
# W = kill -9 a random worker and restart it, C = kill -9 the coordinator and restart it, B = broker stop/start.
plan=()
for ((i = 0; i < WORKER_KILLS; i++)); do plan+=(W); done
plan=("${plan[@]:0:2}" C "${plan[@]:2:2}" B "${plan[@]:4}")
for ((i = 1; i < COORD_KILLS; i++)); do plan+=(C); done
worker_kills=0 coord_kills=0 broker_restarts=0
for step in "${plan[@]}"; do
  sleep $((2 + RANDOM % 3))
  case $step in
    W) w=dft-$((1 + RANDOM % 3)); log "SIGKILL worker $w"; kill9 "$w"; worker_kills=$((worker_kills + 1)); sleep 0.5; start_node "$w" ;;
    C) log "SIGKILL coordinator"; kill9 head; coord_kills=$((coord_kills + 1)); sleep 0.5; start_node head ;;
    B) log "broker stop"; "$ROOT/scripts/broker.sh" stop "$RUN/broker"; sleep 2; log "broker start"
       "$ROOT/scripts/broker.sh" start "$RUN/broker" || "$ROOT/scripts/broker.sh" start "$RUN/broker"
       broker_restarts=$((broker_restarts + 1)) ;;
  esac
done
log "faults injected: worker_kills=$worker_kills coordinator_kills=$coord_kills broker_restarts=$broker_restarts; waiting for the rest"
"$CLI" cluster report --topology "$TOPO" --wait-seconds 600 --expect "$JOBS" > /dev/null || true
"$CLI" cluster status --topology "$TOPO" >&2 || true
log "logs and state in $RUN"
"$CLI" cluster report --topology "$TOPO"
