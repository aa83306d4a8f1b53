#!/usr/bin/env bash
# Installs the system packages Sentire uses on a Debian machine (idempotent; needs root or sudo).
# libopenblas0-pthread: fast GEMM (a managed SIMD GEMM is used when it is absent).
# ffmpeg, flac: decoding of non-WAV/FLAC formats and the bit-exactness tests of our FLAC decoder.
# espeak-ng: synthetic speech for the caption check (tests/Sentire.Training.Tests/Secap/CaptionCorpusCheckTests.cs).
# chromium: the browser test of the `sentire serve` page (driven by PuppeteerSharp; no browser is downloaded).
# When another apt or dpkg process holds the lock (unattended upgrades on a fresh machine), apt-get waits for it
# for up to 10 minutes instead of failing at once.
set -euo pipefail
pkgs=(libopenblas0-pthread ffmpeg flac chromium espeak-ng)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
wait_for_lock=(-o DPkg::Lock::Timeout=600)
echo "setup: installing ${missing[*]} (waiting for the dpkg lock if another apt holds it)" >&2
$sudo apt-get "${wait_for_lock[@]}" update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get "${wait_for_lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
