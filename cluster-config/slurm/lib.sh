#!/usr/bin/env bash
# Shared by the Slurm recipes: one `crystal-actors campaign run` per node, started with srun, its roles and
# seeds derived from the allocation. Sourced, not run. Tested with fake srun/scontrol (SlurmRecipeTests).
#   REPO       the checkout on the shared filesystem (default: $SLURM_SUBMIT_DIR)
#   CONFIG     the campaign config (default: Exp. 3)
#   PORT       remoting port on every node (default 4053; open it between the nodes)
#   JOURNAL    sqlite (default: the run folder, written by node 0 only) or postgres (CRYSTAL_ACTORS_JOURNAL)
#   CONTAINER  an Apptainer image (cluster-config/container/crystal-actors.def) to run the CLI in; empty = the checkout
REPO=${CRYSTAL_ACTORS_REPO:-${SLURM_SUBMIT_DIR:-$PWD}}
CONFIG=${CONFIG:-$REPO/cluster-config/exp3-reward-model-and-dft-random.json}
PORT=${PORT:-4053}
JOURNAL=${JOURNAL:-sqlite}
GPU_ROLES=coordinator,learner,offline-cql,fine-tuner,reward-model
CPU_ROLES=rollout,relaxer,dft-worker,reward-model

ca_hosts() { scontrol show hostnames "$1"; }

# The CLI command line: the checkout's wrapper, or the same inside the container.
ca_cli() {
  if [[ -n ${CONTAINER:-} ]]; then
    echo apptainer exec --nv --bind "$REPO" "$CONTAINER" "$REPO/scripts/crystal-actors"
  else
    echo "${CRYSTAL_ACTORS_CLI:-$REPO/scripts/crystal-actors}"
  fi
}

# ca_node SRUN_ARGS... -- HOST ROLES SEEDS: one node's campaign process as a job step.
ca_node() {
  local srun_args=()
  while [[ $1 != -- ]]; do srun_args+=("$1"); shift; done
  shift
  local host=$1 roles=$2 seeds=$3 journal_args=(--journal "$JOURNAL")
  [[ $JOURNAL == postgres ]] && journal_args+=(--journal-target "${CRYSTAL_ACTORS_JOURNAL:?JOURNAL=postgres needs CRYSTAL_ACTORS_JOURNAL}")
  # shellcheck disable=SC2046
  srun "${srun_args[@]}" --nodes=1 --ntasks=1 -w "$host" $(ca_cli) campaign run --config "$CONFIG" --node "$host" \
    --roles "$roles" --host "$host" --port "$PORT" --seeds "$seeds" --profile hpc "${journal_args[@]}" &
}

# A preemption or the time limit sends TERM to this script (--signal=B:TERM@N): pass it on to the job steps, so that
# every node leaves the cluster gracefully (workers hand their jobs back); the requeued job resumes from the journal.
ca_forward_term() { trap 'kill -TERM $(jobs -p) 2> /dev/null; wait' TERM; }
