#!/usr/bin/env bash
# A real Slurm run on this one machine: starts munge and a single-node Slurm cluster (slurmctld + slurmd on localhost,
# everything under a temporary folder, nothing in /etc), submits deploy/slurm/analyze.sbatch as a 4-task array over
# the inputs, waits for it, merges the shards' results and checks that they equal a single-process run over the same
# inputs. Needs Debian's slurm-wlm and munge (scripts/setup.sh installs them) and root (slurmd runs jobs as their user).
#
#   scripts/slurm-smoke.sh [INPUT...]        # default: 16 copies of the shipped samples
#
# Prints each step and "slurm-smoke: OK" at the end; exit 1 with the daemons' logs on any failure. The cluster is
# stopped and its folder removed on exit (SLURM_SMOKE_KEEP=1 keeps the folder).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d /tmp/sentire-slurm.XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
  local code=$?
  if [ -f "$work/slurmd.pid" ]; then kill "$(cat "$work/slurmd.pid")" 2>/dev/null || true; fi
  if [ -f "$work/slurmctld.pid" ]; then kill "$(cat "$work/slurmctld.pid")" 2>/dev/null || true; fi
  if [ -f "$work/munge/munged.pid" ]; then kill "$(cat "$work/munge/munged.pid")" 2>/dev/null || true; fi
  if [ "$code" -ne 0 ]; then
    for log in "$work"/munge/munged.log "$work"/slurmctld.log "$work"/slurmd.log "$work"/logs/*; do
      [ -f "$log" ] && { echo "--- $log"; tail -n 30 "$log"; }
    done
    echo "slurm-smoke: FAILED" >&2
  fi
  [ "${SLURM_SMOKE_KEEP:-0}" = 1 ] && echo "slurm-smoke: kept $work" || rm -rf "$work"
  exit $code
}
trap cleanup EXIT
step() { echo "slurm-smoke: $*"; }

# 0) the CLI, built once, and the inputs
step "building the CLI"
"$root/sentire" version >/dev/null
sentire_cmd="dotnet $root/artifacts/cli/sentire.dll"
list="$work/list.txt"
if [ $# -gt 0 ]; then printf '%s\n' "$@" > "$list"
else
  # 16 distinct files (the 4 shipped samples, 4 copies each) so that every task of the array gets some
  mkdir "$work/audio"
  i=0
  for copy in 1 2 3 4; do for f in "$root"/samples/*.flac; do i=$((i + 1)); cp "$f" "$work/audio/clip-$i.flac"; done; done
  ls "$work"/audio/*.flac > "$list"
fi
started=$(date +%s)
step "$(wc -l < "$list") inputs"

# 1) munge with its own key and socket
step "starting munged"
mkdir -m 700 "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
munged --force --key-file="$work/munge/munge.key" --socket="$work/munge/munge.socket" \
  --pid-file="$work/munge/munged.pid" --log-file="$work/munge/munged.log" --seed-file="$work/munge/munged.seed"
munge --socket="$work/munge/munge.socket" -n | unmunge --socket="$work/munge/munge.socket" >/dev/null

# 2) a minimal slurm.conf: this host as controller and only node, ports away from a real cluster's
node="$(hostname -s)"
cpus="$(nproc)"
mkdir -p "$work/state" "$work/spool" "$work/logs" "$work/results"
export SLURM_CONF="$work/slurm.conf"
cat > "$SLURM_CONF" <<CONF
ClusterName=sentire-smoke
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/munge.socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=2000 State=UNKNOWN
PartitionName=smoke Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF

# 3) the daemons
step "starting slurmctld and slurmd"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 1 60); do
  sinfo -h -N -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)' && break
  sleep 1
done
sinfo -N -o '%N %T %c' | sed 's/^/slurm-smoke:   /'

# 4) the array job, one core per task, waited for
step "sbatch --array=0-3 deploy/slurm/analyze.sbatch"
SENTIRE="$sentire_cmd" sbatch --wait --array=0-3 --cpus-per-task=1 --mem=1G --output="$work/logs/%A_%a.log" \
  "$root/deploy/slurm/analyze.sbatch" "$list" "$work/results"
for log in "$work"/logs/*.log; do sed 's/^/slurm-smoke:   /' "$log"; done

# 5) merge, and the same inputs in one process
step "merging $(ls "$work"/results/results-*.jsonl | wc -l) results files"
$sentire_cmd merge "$work/results/results-*.jsonl" --inputs "$list" --out "$work/all.jsonl"
step "single-process run"
$sentire_cmd analyze --inputs "$list" --out "$work/single.jsonl"
if cmp -s "$work/all.jsonl" "$work/single.jsonl"; then
  step "merged output equals the single-process run ($(wc -l < "$work/all.jsonl") records); cluster start to check: $(($(date +%s) - started)) s"
  step OK
else
  diff <(cut -c1-200 "$work/single.jsonl") <(cut -c1-200 "$work/all.jsonl") || true
  step "merged output differs from the single-process run"
  exit 1
fi
