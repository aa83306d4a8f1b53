#!/usr/bin/env bash
# The project's test command: installs what is missing, runs every test project, then the engine
# tests again with the managed GEMM (SENTIRE_BLAS=managed) so the fallback path stays correct.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh || { echo "setup failed" >&2; exit 1; }
log="$(mktemp)"
status=0
dotnet test Sentire.slnx -c Release -nologo 2>&1 | tee -a "$log"; [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
SENTIRE_BLAS=managed dotnet test tests/Sentire.Tensors.Tests -c Release -nologo --no-build 2>&1 | tee -a "$log"; [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
# One plain closing line over all runs: "N passed, N failed".
awk '/(Passed|Failed)! +-/ { for (i=1;i<=NF;i++) { if ($i=="Failed:") f+=$(i+1); if ($i=="Passed:") p+=$(i+1); if ($i=="Skipped:") s+=$(i+1) } }
     END { gsub(",","",p); printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
# A project that fails to build runs no tests, so the counts above can look clean: say so.
[ "$status" -eq 0 ] || echo "tests: FAILED (a test run or a build failed: see the output above)"
exit $status
