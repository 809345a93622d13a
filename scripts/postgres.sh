#!/usr/bin/env bash
# A private PostgreSQL server on loopback for the campaign journal (tests, single-host clusters): no system
# service, its own folder, trust authentication on 127.0.0.1 only.
#   scripts/postgres.sh start DIR [PORT]   # initdb on first use; writes DIR/postgres.env with CRYSTAL_ACTORS_JOURNAL
#   scripts/postgres.sh stop DIR
#   scripts/postgres.sh status DIR
# Debian: apt-get install postgresql (binaries in /usr/lib/postgresql/<version>/bin). As root the server runs as
# the `postgres` user (initdb refuses root).
set -euo pipefail
verb=${1:-}; dir=${2:-}
[[ -n $verb && -n $dir ]] || { echo "usage: scripts/postgres.sh start|stop|status DIR [PORT]" >&2; exit 2; }
bin=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -1)
[[ -n $bin && -x $bin/pg_ctl ]] || { echo "postgres.sh: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 3; }
as_owner() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
case $verb in
  start)
    port=${3:-$(cat "$dir/port" 2> /dev/null || echo $((20000 + RANDOM % 20000)))}
    if [[ ! -f $dir/data/PG_VERSION ]]; then
      [[ $(id -u) == 0 ]] && chown postgres "$dir"
      as_owner "$bin/initdb" -D "$dir/data" -A trust -U crystal > "$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    echo "$port" > "$dir/port"
    [[ $(id -u) == 0 ]] && chown postgres "$dir/port"
    if ! as_owner "$bin/pg_ctl" -D "$dir/data" status > /dev/null 2>&1; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/server.log" \
        -o "-k $dir -c listen_addresses=127.0.0.1 -p $port -c fsync=on -c max_connections=200" start > /dev/null
    fi
    for _ in $(seq 60); do as_owner "$bin/pg_isready" -h 127.0.0.1 -p "$port" -q && break; sleep 0.5; done
    as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U crystal -d postgres -tAc "select 1 from pg_database where datname='crystal'" | grep -q 1 \
      || as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U crystal crystal
    echo "CRYSTAL_ACTORS_JOURNAL=\"Host=127.0.0.1;Port=$port;Username=crystal;Database=crystal;Pooling=true\"" > "$dir/postgres.env"
    echo "export CRYSTAL_ACTORS_JOURNAL" >> "$dir/postgres.env"
    echo "postgres on 127.0.0.1:$port (journal: $dir/postgres.env)" ;;
  stop) as_owner "$bin/pg_ctl" -D "$dir/data" -w -m fast stop > /dev/null 2>&1 || true ;;
  status) as_owner "$bin/pg_ctl" -D "$dir/data" status ;;
  *) echo "usage: scripts/postgres.sh start|stop|status DIR [PORT]" >&2; exit 2 ;;
esac
