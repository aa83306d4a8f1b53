#!/usr/bin/env bash
# Usage: scripts/cli-stale.sh ROOT STAMP
# Exits 0 and prints the first changed source when the CLI built from ROOT must be rebuilt (no STAMP yet, or a source
# newer than STAMP); exits 1 when the build is current. Sources: C# files, project, props and targets files under
# src/ (bin/ and obj/ are build outputs and never count), ROOT's Directory.*.props, and every file under models/ (the
# shipped models are copied beside the binary).
set -uo pipefail
root="$1"; stamp="$2"
[ -f "$stamp" ] || { echo "(first build)"; exit 0; }
changed="$(
  { find "$root" -maxdepth 1 -name 'Directory.*.props' -newer "$stamp" -print
    find "$root/src" \( -name bin -o -name obj \) -prune -o -type f \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.targets' \) -newer "$stamp" -print
    [ -d "$root/models" ] && find "$root/models" -type f -newer "$stamp" -print
  } 2>/dev/null | head -n 1)"
[ -n "$changed" ] && { echo "$changed"; exit 0; }
exit 1
