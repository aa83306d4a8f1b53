#!/usr/bin/python3
"""Writes tests/fixtures/prosody/real_clips.json: reference prosody for a few real corpus clips.

References (the audio itself is NOT written: corpora must not be redistributed; the C# tests decode the
clips from ../shared/corpora and skip when it is absent):
  * Praat 6.3 (Debian package `praat`, run headless): To Pitch (ac) 10 ms / 75-600 Hz, jitter (local) and
    shimmer (local, dB) from To PointProcess (periodic, cc), HNR from To Harmonicity (ac) 10 ms / 75 Hz /
    silence 0.1 / 4.5 periods per window. Praat is the reference these measures are defined by (Boersma 1993).
  * torchaudio.functional.detect_pitch_frequency (NCCF, 10 ms frames, 85-3400 Hz, 30-frame median filter),
    the reference named in the issue; it has no voicing decision.

Run: /usr/bin/python3 tools/golden/prosody_fixtures.py   (needs praat, torch, torchaudio; run from the repo root)
"""
import json
import os
import subprocess
import tempfile

import torch
import torchaudio

CORPORA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "corpora")
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "prosody", "real_clips.json")

# Voiced speech of both genders, three languages, calm and aroused.
CLIPS = [
    "ravdess/03-01-01-01-01-01-01",  # male, neutral
    "ravdess/03-01-05-02-01-01-02",  # female, angry strong
    "ravdess/03-01-03-02-02-01-11",  # male, happy strong
    "emovo/gio-f2-b1",               # female, happy (Italian)
    "emovo/tri-m1-l1",               # male, sad (Italian)
    "ased/n1-01-01-02-39",           # male, neutral (Amharic)
]

PRAAT_SCRIPT = r"""
form clip
  sentence path
endform
sound = Read from file: path$
selectObject: sound
pitch = To Pitch (ac): 0.01, 75, 15, "no", 0.03, 0.45, 0.01, 0.35, 0.14, 600
n = Get number of frames
for i to n
  t = Get time from frame number: i
  f = Get value in frame: i, "Hertz"
  if f = undefined
    f = 0
  endif
  appendInfoLine: "pitch ", fixed$(t, 6), " ", fixed$(f, 4)
endfor
selectObject: sound
pp = To PointProcess (periodic, cc): 75, 600
jitter = Get jitter (local): 0, 0, 0.0001, 0.02, 1.3
selectObject: sound, pp
shimmer = Get shimmer (local_dB): 0, 0, 0.0001, 0.02, 1.3, 1.6
selectObject: sound
hnr = To Harmonicity (ac): 0.01, 75, 0.1, 4.5
hnrMean = Get mean: 0, 0
appendInfoLine: "jitter ", fixed$(jitter, 6)
appendInfoLine: "shimmer ", fixed$(shimmer, 6)
appendInfoLine: "hnr ", fixed$(hnrMean, 4)
"""


def manifest_entry(clip_id):
    corpus = clip_id.split("/")[0]
    with open(os.path.join(CORPORA, corpus, "manifest.jsonl"), encoding="utf-8") as f:
        for line in f:
            entry = json.loads(line)
            if entry["id"] == clip_id:
                return os.path.join(CORPORA, corpus, entry["path"])
    raise KeyError(clip_id)


def praat(path, script_path):
    out = subprocess.run(["praat", "--run", script_path, os.path.abspath(path)], check=True,
                         capture_output=True, text=True).stdout
    times, f0, measures = [], [], {}
    for line in out.splitlines():
        key, *values = line.split()
        if key == "pitch":
            times.append(float(values[0]))
            f0.append(float(values[1]))
        else:
            measures[key] = float(values[0])
    return times, f0, measures


def main():
    clips = []
    with tempfile.NamedTemporaryFile("w", suffix=".praat", delete=False) as script:
        script.write(PRAAT_SCRIPT)
    for clip_id in CLIPS:
        path = manifest_entry(clip_id)
        waveform, rate = torchaudio.load(path)
        assert rate == 16000, (path, rate)
        times, f0, measures = praat(path, script.name)
        ta = torchaudio.functional.detect_pitch_frequency(waveform, rate, frame_time=0.01, win_length=30,
                                                          freq_low=85, freq_high=3400)[0]
        clips.append({
            "id": clip_id,
            "samples": waveform.shape[1],
            "praat_pitch_times": times,
            "praat_pitch_hz": f0,
            # torchaudio frame j covers samples [160j, 160j + 160); output k is the (lower) median of frames
            # k-14 .. k+15, centred at (k + 1) * 10 ms.
            "torchaudio_pitch_hz": [round(float(v), 3) for v in ta],
            "praat_jitter_local": measures["jitter"],
            "praat_shimmer_local_db": measures["shimmer"],
            "praat_hnr_db": measures["hnr"],
        })
        if os.environ.get("PROSODY_DUMP_RAW"):  # local experiments only, never committed
            waveform[0].numpy().astype("<f4").tofile(os.path.join(os.environ["PROSODY_DUMP_RAW"], clip_id.replace("/", "_") + ".f32"))
    os.unlink(script.name)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"generator": "tools/golden/prosody_fixtures.py", "praat": "6.3.07",
                   "torchaudio": torchaudio.__version__, "clips": clips}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
