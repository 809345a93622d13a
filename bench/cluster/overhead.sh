#!/usr/bin/env bash
# Orchestration overhead of the Akka.NET DFT farm per job: a coordinator node and one DFT-worker node on loopback
# run N tiny real Si pw.x jobs (no faults); for each job, the time between the lease grant and the journaled
# result minus the time inside pw.x is what the farm costs. Prints a table and `metric` lines.
#   bench/cluster/overhead.sh [N]        (default 30 jobs; ~1-2 min on 2 cores)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${1:-30}
RUN=$(mktemp -d /tmp/crystal-actors-overhead.XXXXXX)
read -ra CLI <<< "${CRYSTAL_ACTORS_CLI:-$ROOT/scripts/crystal-actors}"
"${CLI[@]}" --version > /dev/null
P=$((4500 + RANDOM % 400))
SEEDS=127.0.0.1:$P
pids=()
trap 'for p in "${pids[@]}"; do kill -TERM "$p" 2> /dev/null || true; done; wait 2> /dev/null || true' EXIT
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
"${CLI[@]}" cluster node --node head --roles coordinator --port "$P" --seeds "$SEEDS" --profile local-cluster --state "$RUN" > "$RUN/head.out" 2>&1 &
pids+=($!)
sleep 5
"${CLI[@]}" cluster node --node worker --roles dft-worker --port $((P + 1)) --seeds "$SEEDS" --profile local-cluster --state "$RUN" --ranks 2 > "$RUN/worker.out" 2>&1 &
pids+=($!)
"${CLI[@]}" cluster submit --seeds "$SEEDS" --count "$N" --profile local-cluster > /dev/null 2>&1
"${CLI[@]}" cluster report --journal-target "$RUN/journal.db" --prefix si --wait-seconds 900 --expect "$N" > /dev/null
line=$("${CLI[@]}" cluster status --journal-target "$RUN/journal.db" | grep '^overhead:')
get() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<< "$line"; }
outside_ms=$(awk -v s="$(get mean_outside_pw_s)" 'BEGIN { printf "%.1f", 1000 * s }')
printf '\n| figure | Akka.NET farm | RabbitMQ farm (before) |\n|---|---|---|\n'
printf '| jobs | %s | 50 |\n| mean pw.x s | %s | 1.6 |\n| mean lease-to-commit s | %s | - |\n' "$(get jobs)" "$(get mean_pw_s)" "$(get mean_lease_to_commit_s)"
printf '| orchestration per job, ms | %s | 84 |\n\n' "$outside_ms"
echo "metric key=farm_overhead_ms_per_job value=$outside_ms"
echo "metric key=farm_mean_pw_s value=$(get mean_pw_s)"
