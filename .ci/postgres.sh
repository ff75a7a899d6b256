#!/usr/bin/env bash
# Make sure a PostgreSQL server answers at 127.0.0.1:5432 with trust auth for user postgres.
# Start the machine's cluster if it is stopped; install Debian's server where none exists.
set -uo pipefail

ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

command -v pg_isready >/dev/null 2>&1 && ready && exit 0

if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  echo "ci: installing PostgreSQL from the system packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  conf=/etc/postgresql/$version/main
  sed -i 's/^\(local\|host\)\(.*\)\(peer\|scram-sha-256\|md5\)$/\1\2trust/' "$conf/pg_hba.conf"
  grep -q "^listen_addresses" "$conf/postgresql.conf" || echo "listen_addresses = '127.0.0.1'" >> "$conf/postgresql.conf"
fi

version=$(ls /etc/postgresql | sort -V | tail -n 1)
pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
for _ in $(seq 1 30); do ready && break; sleep 1; done
ready || { echo "ci: PostgreSQL did not start; the PostgreSQL tests will be skipped" >&2; exit 0; }
psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE test" >/dev/null
exit 0
