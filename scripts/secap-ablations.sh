#!/usr/bin/env bash
# Trains SECap's ablations beside the default run and regenerates docs/results-captioning.md with all of them:
#   stage-1 ablations: no stage 1 (stage 2 from a fresh Q-Former), STMIL only, SCCL only, Q-Former frozen after stage 1;
#   the paper's Table 2 input rows: raw transcript, T-Embedding, raw transcript + Q-Embedding, T-Embedding + Q-Embedding.
# The default (both stage-1 losses, Q-Embedding only) is runs/secap-small, trained by the model card's commands first.
# Every run is resumable; a finished run (stage2/best present) is skipped. About 3 min per run on an idle 2-core machine.
#   scripts/secap-ablations.sh [extra --set overrides for every run...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
recipe=recipes/secap-small.yaml
base=runs/secap-small
[ -f "$base/stage1/qformer.safetensors" ] || { echo "run stage 1 of $recipe first ($base/stage1)" >&2; exit 1; }
[ -d "$base/stage2/best" ] || { echo "run stage 2 of $recipe first ($base/stage2/best)" >&2; exit 1; }

# name | own stage 1 overrides ("-" = share the default stage 1) | stage 2 overrides
runs=(
  "no-stage1|-|stage2.init=scratch"
  "stmil-only|stage1.sccl_weight=0|"
  "sccl-only|stage1.stmil_weight=0|"
  "frozen-after-stage1|-|stage2.freeze_qformer=true"
  "transcript|-|stage2.input_modality=transcript"
  "t-embedding|-|stage2.input_modality=t"
  "transcript-q|-|stage2.input_modality=transcript+q"
  "t-q|-|stage2.input_modality=t+q"
)
for entry in "${runs[@]}"; do
  IFS='|' read -r name stage1 stage2 <<<"$entry"
  out=runs/secap-abl/$name
  [ -d "$out/stage2/best" ] && { echo "$name: done"; continue; }
  mkdir -p "$out"
  sets1=(); sets2=()
  [ "$stage1" != "-" ] && [ -n "$stage1" ] && sets1=(--set "$stage1")
  [ -n "$stage2" ] && sets2=(--set "$stage2")
  if [ "$stage1" = "-" ]; then
    [ -d "$out/stage1" ] || cp -r "$base/stage1" "$out/stage1"
  else
    ./sentire train secap --stage 1 --recipe "$recipe" --out "$out" "${sets1[@]}" "$@"
  fi
  ./sentire train secap --stage 2 --recipe "$recipe" --out "$out" "${sets2[@]}" "$@"
done

scripts/secap-results.sh \
  "no stage 1 (stage 2 from a fresh Q-Former)=runs/secap-abl/no-stage1/stage2/best" \
  "stage 1 with STMIL only=runs/secap-abl/stmil-only/stage2/best" \
  "stage 1 with SCCL only=runs/secap-abl/sccl-only/stage2/best" \
  "Q-Former frozen after stage 1 (only the projection trained)=runs/secap-abl/frozen-after-stage1/stage2/best" \
  "Table 2: raw transcript only=runs/secap-abl/transcript/stage2/best" \
  "Table 2: T-Embedding only=runs/secap-abl/t-embedding/stage2/best" \
  "Table 2: raw transcript + Q-Embedding=runs/secap-abl/transcript-q/stage2/best" \
  "Table 2: T-Embedding + Q-Embedding=runs/secap-abl/t-q/stage2/best"
