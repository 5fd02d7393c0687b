#!/usr/bin/env bash
# Stop the one-node SLURM that .ci/slurm/start.sh started: ends exactly the daemons whose PID
# files it left in $MAPREPROD_SLURM_STATE (default /var/tmp/mapreprod-slurm), in reverse order
# of start, and waits for each to exit. Safe to run when nothing is running.
set -uo pipefail

STATE=${MAPREPROD_SLURM_STATE:-/var/tmp/mapreprod-slurm}
say() { echo "[slurm-stop] $*"; }

for name in slurmd slurmctld slurmdbd mariadbd munged; do
    pidfile="$STATE/$name.pid"
    [ -s "$pidfile" ] || continue
    pid=$(tr -dc '0-9' <"$pidfile")
    # Only a live process of that name is ours (a PID file may outlive its process).
    if [ -n "$pid" ] && [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = "$name" ]; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 30); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 1
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "$name ($pid) did not stop within 30 s: KILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        say "stopped $name ($pid)"
    fi
    rm -f "$pidfile"
done
