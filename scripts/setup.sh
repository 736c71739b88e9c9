#!/usr/bin/env bash
# Idempotent host set-up for berth on Debian 12 (root, no systemd): installs and starts what the server and
# the tests need. Every step is skipped when its service or artefact is already there.
# Sourced by .ci/run and scripts/up.sh; exports DATABASE_URL_TEST for the Postgres test tier.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
DOCKER_SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
BERTH_BASE_IMAGE=${BERTH_BASE_IMAGE:-berth-base:latest}
PG_USER=${PG_USER:-berth} PG_PASS=${PG_PASS:-berth} PG_DB=${PG_DB:-berth_test}
LOG_DIR=${LOG_DIR:-/var/log/berth-setup}; mkdir -p "$LOG_DIR"
say() { echo "[setup] $*"; }
dk() { docker -H "unix://$DOCKER_SOCK" "$@"; }

need=()
for bin in dockerd busybox s3fs fusermount fusermount3 psql docker-registry htpasswd; do command -v "$bin" >/dev/null 2>&1 || need+=("$bin"); done
if [ ${#need[@]} -gt 0 ]; then
  say "installing packages (missing: ${need[*]})"
  apt-get update -qq
  # --no-upgrade: never move packages the machine already has (postgresql-common, ...).
  apt-get install -y -qq --no-install-recommends --no-upgrade \
    docker.io busybox-static s3fs fuse3 postgresql postgresql-client iptables \
    docker-registry apache2-utils >/dev/null   # a local registry with auth, for the image-pull tests
fi

if ! dk version >/dev/null 2>&1; then
  say "starting dockerd"
  # No systemd and policy-rc.d blocks service starts: run the daemon ourselves.
  nohup dockerd --host "unix://$DOCKER_SOCK" >"$LOG_DIR/dockerd.log" 2>&1 &
  for _ in $(seq 1 300); do dk version >/dev/null 2>&1 && break; sleep 0.1; done
  dk version >/dev/null 2>&1 || { tail -50 "$LOG_DIR/dockerd.log"; exit 1; }
fi

if ! dk image inspect "$BERTH_BASE_IMAGE" >/dev/null 2>&1; then
  say "building base image $BERTH_BASE_IMAGE from busybox-static"
  rootfs=$(mktemp -d)
  mkdir -p "$rootfs"/{bin,dev,etc,proc,sys,tmp,data,root}
  cp "$(command -v busybox)" "$rootfs/bin/busybox"
  for a in $("$rootfs/bin/busybox" --list); do [ -e "$rootfs/bin/$a" ] || ln -s busybox "$rootfs/bin/$a"; done
  mkdir -p "$rootfs/usr/bin"; ln -s /bin/tail "$rootfs/usr/bin/tail"; ln -s /bin/sleep "$rootfs/usr/bin/sleep"
  echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"; echo 'root:x:0:' >"$rootfs/etc/group"
  tar -C "$rootfs" -c . | dk import -c 'CMD ["/bin/sh"]' - "$BERTH_BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
fi

if ! pg_lsclusters -h 2>/dev/null | grep -q ' online '; then
  say "starting postgres"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
fi
for _ in $(seq 1 50); do runuser -u postgres -- psql -qtAc 'select 1' >/dev/null 2>&1 && break; sleep 0.2; done
runuser -u postgres -- psql -qtAc "select 1 from pg_roles where rolname='$PG_USER'" | grep -q 1 \
  || runuser -u postgres -- psql -qc "create role $PG_USER login password '$PG_PASS' createdb"
runuser -u postgres -- psql -qtAc "select 1 from pg_database where datname='$PG_DB'" | grep -q 1 \
  || runuser -u postgres -- createdb -O "$PG_USER" "$PG_DB"
export DATABASE_URL_TEST="postgres://$PG_USER:$PG_PASS@127.0.0.1:5432/$PG_DB"

[ -c /dev/fuse ] || mknod -m 666 /dev/fuse c 10 229
say "ready: docker $(dk version -f '{{.Server.Version}}'), image $BERTH_BASE_IMAGE, postgres $PG_DB"
