#!/usr/bin/env bash
# Start a one-node SLURM (22.05, Debian's slurm-wlm) with accounting on this machine, for testing
# cluster execution for real (tests/workflow/test_slurm.py). Idempotent: when the cluster already
# answers (`sinfo` and `sacct`), it only prints its state and exits 0.
#
#   bash .ci/slurm/start.sh          # as root; installs the Debian packages if missing (~1 min)
#   bash .ci/slurm/stop.sh           # stops exactly the daemons this script started (by PID)
#
# What it sets up (facts in the project's NOTES, "SLURM on one machine"):
#   munge (auth), MariaDB (storage of slurmdbd), slurmdbd (accounting: the Snakemake SLURM
#   plugin follows jobs with `sacct`), slurmctld + slurmd on one node with all CPUs of the
#   machine, one default partition `main`, the account `mapreprod` with root as its user.
# The daemons detach (their own sessions) and write PID files; stop.sh ends exactly those PIDs.
# Logs and PID files are under $MAPREPROD_SLURM_STATE (default /var/tmp/mapreprod-slurm).
# Needs root (Debian/Ubuntu with apt). Exits non-zero, naming the step, when anything fails.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"  # the daemons live there

STATE=${MAPREPROD_SLURM_STATE:-/var/tmp/mapreprod-slurm}
CLUSTER=${MAPREPROD_SLURM_CLUSTER:-mapreprod}
ACCOUNT=${MAPREPROD_SLURM_ACCOUNT:-mapreprod}
PARTITION=${MAPREPROD_SLURM_PARTITION:-main}
DB_PASS=${MAPREPROD_SLURM_DB_PASS:-slurmdbd-local}
HOST=$(hostname -s)

say() { echo "[slurm-start] $*"; }
die() { echo "[slurm-start] ERROR: $*" >&2; exit 1; }

cluster_answers() {
    command -v sinfo >/dev/null 2>&1 && timeout 10 sinfo -h >/dev/null 2>&1 \
        && timeout 10 sacct -n -X -S now-1minutes >/dev/null 2>&1
}

if cluster_answers; then
    say "SLURM is already running:"
    sinfo
    exit 0
fi

[ "$(id -u)" -eq 0 ] || die "must run as root (installs packages, writes /etc/slurm)"

# --- 1. packages -------------------------------------------------------------------------
need=()
for cmd_pkg in slurmctld:slurm-wlm slurmd:slurm-wlm slurmdbd:slurmdbd munged:munge mariadbd:mariadb-server; do
    command -v "${cmd_pkg%%:*}" >/dev/null 2>&1 || need+=("${cmd_pkg#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install ${need[*]} yourself"
    say "installing ${need[*]} (apt-get, about a minute)"
    export DEBIAN_FRONTEND=noninteractive
    # The package lists of a fresh machine may be empty or stale: update once, then install.
    apt-get update -q >"$STATE.apt.log" 2>&1 || true
    apt-get install -y -q slurm-wlm slurmdbd munge mariadb-server \
        >>"$STATE.apt.log" 2>&1 || die "apt-get install failed (log: $STATE.apt.log)"
fi

mkdir -p "$STATE"
chmod 1777 "$STATE"  # the daemons write their PID files and logs here as their own users
# Stop anything a previous, half-finished start left behind (only our own PIDs).
if ls "$STATE"/*.pid >/dev/null 2>&1; then
    bash "$(dirname "$0")/stop.sh" || true
fi


wait_for() {  # what seconds command...: poll until the command succeeds
    local what=$1 secs=$2; shift 2
    for _ in $(seq 1 "$secs"); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 1
    done
    die "$what did not come up within ${secs}s (logs in $STATE)"
}

# --- 2. munge ----------------------------------------------------------------------------
mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
if [ ! -s /etc/munge/munge.key ]; then
    say "creating a munge key"
    if command -v mungekey >/dev/null 2>&1; then
        mungekey --create --keyfile=/etc/munge/munge.key --force
    else
        dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
    fi
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
chmod 0700 /etc/munge
chmod 0400 /etc/munge/munge.key
rm -f /run/munge/munged.pid
runuser -u munge -- munged --force --pid-file=/run/munge/munged.pid >"$STATE/munged.log" 2>&1 \
    || die "munged did not start (log: $STATE/munged.log)"
wait_for "munged pid file" 10 test -s /run/munge/munged.pid
cp /run/munge/munged.pid "$STATE/munged.pid"
wait_for munged 20 bash -c "munge -n | unmunge"

# --- 3. MariaDB and the accounting database ------------------------------------------------
mkdir -p /run/mysqld
chown mysql:mysql /run/mysqld
if [ ! -d /var/lib/mysql/mysql ]; then
    say "initialising the MariaDB data directory"
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql >"$STATE/mariadb-install.log" 2>&1 \
        || die "mariadb-install-db failed (log: $STATE/mariadb-install.log)"
fi
setsid mariadbd --user=mysql --datadir=/var/lib/mysql --socket=/run/mysqld/mysqld.sock \
    --pid-file="$STATE/mariadbd.pid" --bind-address=127.0.0.1 --port=3306 --skip-log-bin \
    --innodb-buffer-pool-size=64M </dev/null >"$STATE/mariadbd.log" 2>&1 &
wait_for mariadbd 60 mariadb -uroot -e "SELECT 1"
mariadb -uroot <<EOF || die "creating the slurm_acct_db database failed"
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '${DB_PASS}';
ALTER USER 'slurm'@'localhost' IDENTIFIED BY '${DB_PASS}';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
FLUSH PRIVILEGES;
EOF

# --- 4. SLURM configuration ---------------------------------------------------------------
CPUS=$(nproc)
MEM_MB=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 ))
NODE_MEM=$(( MEM_MB > 6000 ? MEM_MB - 4000 : MEM_MB * 2 / 3 ))
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/slurm
chown slurm:slurm /var/spool/slurmctld /var/log/slurm /run/slurm
cat >/etc/slurm/slurm.conf <<EOF
# Written by .ci/slurm/start.sh (mapreprod): one node, accounting through slurmdbd.
ClusterName=${CLUSTER}
SlurmctldHost=${HOST}(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=${STATE}/slurmctld.pid
SlurmdPidFile=${STATE}/slurmd.pid
SlurmctldLogFile=${STATE}/slurmctld.log
SlurmdLogFile=${STATE}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmdParameters=config_overrides
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStorageEnforce=associations
JobCompType=jobcomp/none
MinJobAge=300
NodeName=${HOST} NodeAddr=127.0.0.1 CPUs=${CPUS} RealMemory=${NODE_MEM} State=UNKNOWN
PartitionName=${PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
cat >/etc/slurm/slurmdbd.conf <<EOF
# Written by .ci/slurm/start.sh (mapreprod).
AuthType=auth/munge
DbdHost=localhost
SlurmUser=slurm
PidFile=${STATE}/slurmdbd.pid
LogFile=${STATE}/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=${DB_PASS}
StorageLoc=slurm_acct_db
EOF
chown slurm:slurm /etc/slurm/slurmdbd.conf
chmod 0600 /etc/slurm/slurmdbd.conf
touch "$STATE/slurmctld.log" "$STATE/slurmd.log" "$STATE/slurmdbd.log"
chown slurm:slurm "$STATE/slurmctld.log" "$STATE/slurmdbd.log"

# --- 5. daemons and the account -----------------------------------------------------------
slurmdbd >"$STATE/slurmdbd.out" 2>&1 || die "slurmdbd did not start (log: $STATE/slurmdbd.log)"
wait_for slurmdbd 60 sacctmgr -n list cluster
sacctmgr -i add cluster "$CLUSTER" >/dev/null 2>&1 || true
sacctmgr -i add account "$ACCOUNT" Description="mapreprod CI" Organization=mapreprod >/dev/null 2>&1 || true
sacctmgr -i add user root Account="$ACCOUNT" DefaultAccount="$ACCOUNT" >/dev/null 2>&1 || true
sacctmgr -n -P list associations cluster="$CLUSTER" account="$ACCOUNT" user=root format=user \
    | grep -qx root || die "the association root/$ACCOUNT was not created"

slurmctld -i >"$STATE/slurmctld.out" 2>&1 || die "slurmctld did not start (log: $STATE/slurmctld.log)"
wait_for slurmctld 60 scontrol ping
slurmd -N "$HOST" >"$STATE/slurmd.out" 2>&1 || die "slurmd did not start (log: $STATE/slurmd.log)"
wait_for "node ${HOST} (idle)" 60 bash -c "sinfo -h -N -o '%T' | grep -qE '^(idle|mixed|allocated)'"

# Smoke test: a job runs and shows in accounting (what the Snakemake plugin relies on).
out=$(timeout 60 srun -A "$ACCOUNT" -N1 -n1 hostname) || die "srun hostname failed"
say "srun ran on ${out}"
wait_for "sacct" 30 bash -c "sacct -n -X -A '$ACCOUNT' -o JobID | grep -q ."
say "SLURM is up: cluster ${CLUSTER}, partition ${PARTITION}, account ${ACCOUNT}, ${CPUS} CPUs, ${NODE_MEM} MB"
sinfo
