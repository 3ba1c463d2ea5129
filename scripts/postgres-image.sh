#!/usr/bin/env bash
# Builds caretaker-test/postgres:15 from Debian's packages (there is no image registry
# here): a minimal Debian 12 root with PostgreSQL 15, and an entrypoint that behaves like
# the official image's for what caretaker uses (initdb on an empty data directory, trust
# or password auth from POSTGRES_HOST_AUTH_METHOD / POSTGRES_PASSWORD, listen on all
# addresses). Skips the work when the image exists. Run as root.
set -euo pipefail
IMAGE="caretaker-test/postgres:15"
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  exit 0
fi
# scripts/test installs debootstrap with the other packages; this covers a run by hand.
if ! command -v debootstrap >/dev/null; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
fi
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
chroot "$root" apt-get install -y -q --no-install-recommends postgresql-15 >/dev/null
chroot "$root" apt-get clean
cat >"$root/usr/local/bin/docker-entrypoint" <<'SCRIPT'
#!/bin/sh
set -e
export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
mkdir -p "$PGDATA" /run/postgresql
chown -R postgres:postgres "$PGDATA" /run/postgresql
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
  printf '%s\n' "${POSTGRES_PASSWORD:-postgres}" > /tmp/pwfile
  chown postgres /tmp/pwfile
  runuser -u postgres -- initdb -U postgres --pwfile=/tmp/pwfile --auth-local=trust --auth-host="$auth" >/dev/null
  rm -f /tmp/pwfile
  echo "host all all all $auth" >> "$PGDATA/pg_hba.conf"
  if [ -n "${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != postgres ]; then
    runuser -u postgres -- postgres --single -D "$PGDATA" postgres <<SQL >/dev/null
CREATE DATABASE "$POSTGRES_DB";
SQL
  fi
fi
exec runuser -u postgres -- postgres -D "$PGDATA" -c listen_addresses='*'
SCRIPT
chmod 755 "$root/usr/local/bin/docker-entrypoint"
tar -C "$root" -c . | docker import \
  -c 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint"]' - "$IMAGE" >/dev/null
echo "built $IMAGE"
