#!/usr/bin/env bash
# Start or stop one RabbitMQ node bound to 127.0.0.1 only, with its own state directory and random
# credentials. No systemd: the Debian wrapper is started directly (see ../shared/NOTES.md).
#
#   scripts/broker.sh start DIR [PORT]   # writes DIR/broker.env (CRYSTAL_ACTORS_AMQP_URI=...), waits until AMQP is up
#   scripts/broker.sh stop DIR           # SIGTERM to the node, waits for it to exit
#   scripts/broker.sh status DIR         # exit 0 when the node answers
#
# Re-running `start` on a DIR that already holds a node reuses its port, credentials and queues
# (used by chaos.sh to stop and restart the broker mid-run).
# BROKER_BIND (default 127.0.0.1) sets the AMQP listen address when DIR is first created; only the Slurm
# example changes it, to the head node's cluster-network address. Erlang distribution stays on loopback.
set -euo pipefail

cmd=${1:-}; dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop|status DIR [PORT]" >&2; exit 2; }
RMQ_BIN=/usr/lib/rabbitmq/bin
[[ -x $RMQ_BIN/rabbitmq-server ]] || { echo "broker.sh: rabbitmq-server is not installed ($RMQ_BIN/rabbitmq-server missing); apt-get install rabbitmq-server" >&2; exit 3; }
export ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT=${ERL_EPMD_PORT:-4371}

port_free() { ! (exec 3<>/dev/tcp/"${BIND:-127.0.0.1}"/"$1") 2>/dev/null; }

node_env() {
  # shellcheck disable=SC1091
  source "$dir/node.conf"
  BIND=${BIND:-127.0.0.1}
  export HOME=$dir/home RABBITMQ_NODENAME=$NODENAME RABBITMQ_NODE_IP_ADDRESS=$BIND \
    RABBITMQ_NODE_PORT=$PORT RABBITMQ_DIST_PORT=$((PORT + 20000)) RABBITMQ_MNESIA_BASE=$dir/mnesia \
    RABBITMQ_LOG_BASE=$dir/log RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf \
    RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins RABBITMQ_PID_FILE=$dir/pid \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

case $cmd in
start)
  dir=$(mkdir -p "$dir" && cd "$dir" && pwd)
  if [[ ! -f $dir/node.conf ]]; then
    port=${3:-}
    if [[ -z $port ]]; then
      for _ in $(seq 50); do
        p=$((20000 + RANDOM % 20000))
        if port_free $p && port_free $((p + 20000)); then port=$p; break; fi
      done
    fi
    [[ -n $port ]] || { echo "broker.sh: no free port pair found" >&2; exit 4; }
    user="ca_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    pass="$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    mkdir -p "$dir/home" "$dir/log" "$dir/mnesia"
    cat > "$dir/node.conf" <<CONF
NODENAME=ca$port@localhost
PORT=$port
BIND=${BROKER_BIND:-127.0.0.1}
CONF
    cat > "$dir/rabbitmq.conf" <<CONF
listeners.tcp.1 = ${BROKER_BIND:-127.0.0.1}:$port
default_user = $user
default_pass = $pass
default_vhost = /
loopback_users = none
log.console = false
log.file.level = warning
CONF
    echo '[].' > "$dir/enabled_plugins"
    echo "CRYSTAL_ACTORS_AMQP_URI=amqp://$user:$pass@${BROKER_BIND:-127.0.0.1}:$port/" > "$dir/broker.env"
    chmod 600 "$dir/broker.env" "$dir/rabbitmq.conf"
  fi
  node_env
  if [[ -f $dir/wrapper.pid ]] && kill -0 "$(cat "$dir/wrapper.pid")" 2>/dev/null; then
    echo "broker.sh: already running (pid $(cat "$dir/wrapper.pid"))" >&2; exit 0
  fi
  setsid $RMQ_BIN/rabbitmq-server > "$dir/log/stdout.log" 2>&1 < /dev/null &
  echo $! > "$dir/wrapper.pid"
  # ~4 s on an idle machine; a restart on a loaded 2-core machine has taken over 30 s.
  for _ in $(seq ${BROKER_START_TIMEOUT_DS:-1200}); do
    if ! port_free "$PORT"; then echo "broker.sh: AMQP up on $BIND:$PORT (env in $dir/broker.env)" >&2; exit 0; fi
    kill -0 "$(cat "$dir/wrapper.pid")" 2>/dev/null || { echo "broker.sh: rabbitmq-server exited; see $dir/log" >&2; tail -20 "$dir/log/stdout.log" >&2; exit 5; }
    sleep 0.1
  done
  echo "broker.sh: timed out waiting for AMQP on port $PORT" >&2; exit 6
  ;;
stop)
  [[ -f $dir/wrapper.pid ]] || exit 0
  pid=$(cat "$dir/wrapper.pid")
  # The wrapper runs in its own session (setsid): signal the whole group so beam.smp goes too.
  kill -TERM -- -"$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- -"$pid" 2>/dev/null || true
  rm -f "$dir/wrapper.pid"
  ;;
status)
  node_env
  [[ -f $dir/wrapper.pid ]] && kill -0 "$(cat "$dir/wrapper.pid")" 2>/dev/null && ! port_free "$PORT"
  ;;
*) echo "usage: $0 start|stop|status DIR [PORT]" >&2; exit 2 ;;
esac
