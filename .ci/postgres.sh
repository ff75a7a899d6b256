#!/usr/bin/env bash
# Make sure the PostgreSQL server of PAPERREAD_TEST_PG_URL answers, for the PostgreSQL half
# of the test suite. Default: postgresql+psycopg://postgres@127.0.0.1:5432/test (trust auth).
#
# - A server that already answers is used as it is (nothing is changed on it but creating
#   the test database when it is missing).
# - On a local address, a stopped Debian cluster is started; where none exists, Debian's
#   server package is installed and its cluster set to trust local TCP connections (a
#   throwaway CI machine only: this script refuses to change a cluster it did not create).
# - Anything else (a remote server that does not answer, no root for apt-get) is an error:
#   with PAPERREAD_TEST_PG_URL set, the suite would fail anyway, so fail here, clearly.
#
# Needs python3 with psycopg (.ci/run installs '.[test]' first). Never prints a password.
set -euo pipefail

URL="${PAPERREAD_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
say() { echo "ci/postgres: $*" >&2; }

# host, port, user, database and a password-free display form of the URL
read -r HOST PORT PGUSER_ DBNAME SHOWN < <(python3 - "$URL" <<'EOF'
import sys
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1])
shown = u._replace(netloc=(f"{u.username}@" if u.username else "") + (u.hostname or "") + (f":{u.port}" if u.port else "")).geturl()
print(u.hostname or "127.0.0.1", u.port or 5432, u.username or "postgres", u.path.lstrip("/") or "postgres", shown)
EOF
)

# 'ok', or why not, trying for up to $1 seconds: connects as the tests will (to the
# maintenance database 'postgres').
probe() {
  python3 - "$URL" "${1:-0}" <<'EOF'
import sys, time
try:
    import psycopg
    from sqlalchemy.engine import make_url
except ImportError as exc:
    print(f"cannot probe: {exc}"); sys.exit(0)
url = make_url(sys.argv[1]).set(drivername="postgresql", database="postgres")
deadline = time.monotonic() + float(sys.argv[2])
while True:
    try:
        with psycopg.connect(url.render_as_string(hide_password=False), connect_timeout=3) as conn:
            version = conn.info.server_version
        print("ok" if version >= 150000 else f"server is PostgreSQL {version // 10000}; paperread needs 15 or later")
        break
    except psycopg.Error as exc:
        if time.monotonic() >= deadline:
            print(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
            break
        time.sleep(0.5)
EOF
}

wait_ready() {
  local why
  why=$(probe 30)
  [ "$why" = ok ] && return 0
  say "no PostgreSQL at $SHOWN: $why"
  return 1
}

create_test_db() {
  python3 - "$URL" <<'EOF'
import sys
import psycopg
from sqlalchemy.engine import make_url
url = make_url(sys.argv[1])
admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
with psycopg.connect(admin, autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)).fetchone():
        conn.execute(f'CREATE DATABASE "{url.database}"')
        print(f"ci/postgres: created database {url.database}", file=sys.stderr)
EOF
}

why=$(probe)
if [ "$why" = ok ]; then
  create_test_db
  say "using the server at $SHOWN"
  exit 0
fi
case "$why" in server\ is\ PostgreSQL*|cannot\ probe*) say "$why"; exit 1 ;; esac

case "$HOST" in
  127.0.0.1|localhost|::1) ;;
  *) say "the server at $SHOWN does not answer ($why); start it, or unset PAPERREAD_TEST_PG_URL"; exit 1 ;;
esac

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }

newest_cluster() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(newest_cluster)" ] || [ ! -d "/etc/postgresql/$(newest_cluster)/main" ]; then
  if ! command -v pg_createcluster >/dev/null; then
    say "installing PostgreSQL from the system packages"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq >/dev/null \
      && as_root apt-get install -y -qq postgresql >/dev/null \
      || { say "could not install PostgreSQL (apt-get needs root)"; exit 1; }
  fi
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  if [ ! -d "/etc/postgresql/$version/main" ]; then
    as_root pg_createcluster --port "$PORT" "$version" main >/dev/null \
      || { say "could not create a PostgreSQL $version cluster"; exit 1; }
  fi
  conf=/etc/postgresql/$version/main
  # Trust on this throwaway machine only: local socket and loopback TCP, nothing else.
  as_root tee "$conf/pg_hba.conf" >/dev/null <<EOF
local   all all              trust
host    all all 127.0.0.1/32 trust
host    all all ::1/128      trust
EOF
  as_root sed -i "s/^#\?listen_addresses.*/listen_addresses = 'localhost'/" "$conf/postgresql.conf"
  as_root sed -i "s/^#\?port = .*/port = $PORT/" "$conf/postgresql.conf"
  say "created PostgreSQL $version cluster 'main' on port $PORT (trust on loopback)"
fi

version=$(newest_cluster)
as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 \
  || as_root pg_ctlcluster "$version" main start >/dev/null 2>&1 || true
wait_ready || { say "PostgreSQL $version did not come up; see /var/log/postgresql/"; exit 1; }
create_test_db
say "PostgreSQL $version answers at $SHOWN"
