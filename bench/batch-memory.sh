#!/usr/bin/env bash
# Peak memory (max RSS) and wall time of `sentire analyze --json` against recording length, whole process.
#   bench/batch-memory.sh [MINUTES...]        # default: 1 10 60; RUNS=3 runs each; SENTIRE="dotnet path/sentire.dll" to pick a build
#   RUNS=1 bench/batch-memory.sh 600          # 10 hours (a 1.15 GB WAV in /tmp; one run took 12.6 min at load ~20 on 2 cores)
#   nice -n -10 bench/batch-memory.sh ...     # (as root) the measured processes ahead of a busy machine's others
# The load average at the start of each length goes to standard error.
#   REFERENCE="dotnet old/sentire.dll" bench/batch-memory.sh 1 10   # also run another build on the same file, alternating,
#                                                                  # and say whether its JSON is byte-identical
# The recordings are speech: the four shipped samples (2.39 s each) and 0.6 s of silence, repeated and cut to length,
# 16 kHz mono 16-bit WAV, written to a temporary folder and deleted at the end. Prints one table row per length
# (median of the runs, and every run).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${RUNS:-3}"
if [ -z "${SENTIRE:-}" ]; then "$root/sentire" version >/dev/null; SENTIRE="dotnet $root/artifacts/cli/sentire.dll"; fi
tmp="$(mktemp -d /tmp/sentire-long.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
sox "$root"/samples/*.flac -r 16000 -c 1 -b 16 "$tmp/unit.wav" pad 0 0.6      # 10.16 s
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# one run of a build ($1) on the recording: appends "RSS_KB SECONDS" to $2, the JSON to $3
measure() {
  # shellcheck disable=SC2086
  /usr/bin/time -f "%M %e" -o "$tmp/time" $1 analyze "$tmp/long.wav" --json > "$3"
  cat "$tmp/time" >> "$2"
}
row() {   # label, runs file
  local rss wall all
  rss=$(awk '{ print $1 / 1024 }' "$2" | median)
  wall=$(awk '{ print $2 }' "$2" | median)
  all=$(awk '{ printf "%s%.0f / %.1f", (NR > 1 ? ", " : ""), $1 / 1024, $2 }' "$2")
  printf '| %s | %.0f MB | %.1f s | %s |\n' "$1" "$rss" "$wall" "$all"
}
echo "| length | max RSS (median) | wall time (median) | runs: RSS MB / s |"
echo "|---|---|---|---|"
for minutes in "${@:-1 10 60}"; do
  for m in $minutes; do
    echo "# $m min: load average at start $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    seconds=$((m * 60))
    sox "$tmp/unit.wav" "$tmp/long.wav" repeat $((seconds / 10 + 1)) trim 0 "$seconds"
    : > "$tmp/runs"; : > "$tmp/reference-runs"
    for _ in $(seq 1 "$runs"); do
      measure "$SENTIRE" "$tmp/runs" "$tmp/out.json"
      if [ -n "${REFERENCE:-}" ]; then measure "$REFERENCE" "$tmp/reference-runs" "$tmp/reference.json"; fi
    done
    row "$m min" "$tmp/runs"
    if [ -n "${REFERENCE:-}" ]; then
      same=$(cmp -s "$tmp/out.json" "$tmp/reference.json" && echo "JSON byte-identical" || echo "JSON DIFFERS")
      row "$m min, reference ($same)" "$tmp/reference-runs"
    fi
    rm -f "$tmp/long.wav"
  done
done
