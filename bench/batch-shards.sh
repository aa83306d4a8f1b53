#!/usr/bin/env bash
# Throughput of a batch run on this machine: one process against two shards run side by side
# (`--shard 0/2` and `--shard 1/2`, one core each through SENTIRE_THREADS=1), in hours of audio per hour.
#   bench/batch-shards.sh [FILES] [SECONDS]     # default: 24 files of 60 s; RUNS=3 alternating pairs
# The files are speech (the four shipped samples and 0.6 s pauses, repeated), 16 kHz mono WAV in a temporary folder.
# Prints one row per run and the medians.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
files="${1:-24}" seconds="${2:-60}" runs="${RUNS:-3}"
if [ -z "${SENTIRE:-}" ]; then "$root/sentire" version >/dev/null; SENTIRE="dotnet $root/artifacts/cli/sentire.dll"; fi
tmp="$(mktemp -d /tmp/sentire-shards.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
sox "$root"/samples/*.flac -r 16000 -c 1 -b 16 "$tmp/unit.wav" pad 0 0.6
sox "$tmp/unit.wav" "$tmp/one.wav" repeat $((seconds / 10 + 1)) trim 0 "$seconds"
mkdir "$tmp/in"
for i in $(seq -w 1 "$files"); do cp "$tmp/one.wav" "$tmp/in/file-$i.wav"; done
hours=$(awk -v n="$files" -v s="$seconds" 'BEGIN { print n * s / 3600 }')
now() { date +%s.%N; }
rate() { awk -v h="$hours" -v t="$1" 'BEGIN { printf "%.0f", h / (t / 3600) }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "| run | 1 process | 2 shards | 1 process (audio h/h) | 2 shards (audio h/h) |"
echo "|---|---|---|---|---|"
for r in $(seq 1 "$runs"); do
  rm -f "$tmp"/*.jsonl
  t0=$(now)
  # shellcheck disable=SC2086
  $SENTIRE analyze "$tmp/in" --out "$tmp/one.jsonl" 2>/dev/null
  t1=$(now)
  # shellcheck disable=SC2086
  SENTIRE_THREADS=1 $SENTIRE analyze "$tmp/in" --shard 0/2 --out "$tmp/s0.jsonl" 2>/dev/null &
  # shellcheck disable=SC2086
  SENTIRE_THREADS=1 $SENTIRE analyze "$tmp/in" --shard 1/2 --out "$tmp/s1.jsonl" 2>/dev/null &
  wait
  t2=$(now)
  single=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'); sharded=$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')
  echo "$single $sharded" >> "$tmp/times"
  printf '| %d | %.1f s | %.1f s | %s | %s |\n' "$r" "$single" "$sharded" "$(rate "$single")" "$(rate "$sharded")"
done
single=$(awk '{ print $1 }' "$tmp/times" | median); sharded=$(awk '{ print $2 }' "$tmp/times" | median)
printf '| **median** | **%.1f s** | **%.1f s** | **%s** | **%s** |\n' "$single" "$sharded" "$(rate "$single")" "$(rate "$sharded")"
echo "($files files x $seconds s = $hours h of audio; 2 shards / 1 process speed: $(awk -v a="$single" -v b="$sharded" 'BEGIN { printf "%.2fx", a / b }'))"
