#!/usr/bin/python3
"""Golden fixtures for Sentire.Audio's DSP (tests/fixtures/audio-features/), from torchaudio 0.13 and ffmpeg.

Run from the repository root with Debian's python (torch 1.13, torchaudio 0.13):
    /usr/bin/python3 tools/golden/audio_fixtures.py [--shared ../shared]
Writes .npy files (float32, C order) that the C# tests read with Sentire.Audio.Npy; outputs are committed,
tests never need Python. Feature arrays keep torchaudio's layout: (features, frames) for the transforms,
(frames, features) for kaldi.fbank.

Clips: 1 s crops of real corpus recordings (16 kHz mono FLAC, decoded by ffmpeg to float32).
Resampling: an analytic multi-tone signal (same formula as ResamplerTests.MultiTone) resampled by
ffmpeg's default swresample (`-ar`), so the C# resampler can be compared with ffmpeg and with the analytic signal.
"""
import argparse
import os
import subprocess

import numpy as np
import torch
import torchaudio
from torchaudio.compliance import kaldi

OUT = os.path.join("tests", "fixtures", "audio-features")
# (fixture name, corpus-relative path, crop start in seconds)
CLIPS = [
    ("ravdess_angry", "ravdess/audio/03-01-05-02-01-01-12.flac", 0.8),
    ("emovo_sad", "emovo/audio/tri-f1-b1.flac", 0.5),
    ("secap_zh", "secap/audio/tx_emotion_00201000015.flac", 1.0),
]
SAMPLE_RATE = 16000
TONES_HZ = [110.0, 440.0, 1000.0, 2500.0, 4000.0, 6000.0, 7000.0]


def decode(path, rate):
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "f32le", "-ac", "1", "-ar", str(rate), "pipe:"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.float32).copy()


def save(name, array):
    array = np.ascontiguousarray(np.asarray(array, dtype=np.float32))
    np.save(os.path.join(OUT, name + ".npy"), array)
    print(f"{name}: {array.shape}")


def multi_tone(rate, seconds):
    """x(t) = Σ_i 0.1·sin(2π f_i t + 0.7 i); every tone lies below 7.2 kHz, inside a 16 kHz passband."""
    t = np.arange(int(round(rate * seconds)), dtype=np.float64) / rate
    x = sum(0.1 * np.sin(2 * np.pi * f * t + 0.7 * i) for i, f in enumerate(TONES_HZ))
    return x.astype(np.float32)


def ffmpeg_resample(signal, rate_in, rate_out):
    raw = subprocess.run(["ffmpeg", "-v", "error", "-f", "f32le", "-ar", str(rate_in), "-ac", "1", "-i", "pipe:",
                          "-ar", str(rate_out), "-f", "f32le", "pipe:"],
                         input=signal.tobytes(), check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.float32)


def features(name, wave, full):
    w = torch.from_numpy(wave)
    mel80 = torchaudio.transforms.MelSpectrogram(SAMPLE_RATE, n_fft=400, hop_length=160, n_mels=80)(w)
    save(f"{name}.mel80", mel80)
    save(f"{name}.mfcc", torchaudio.transforms.MFCC(SAMPLE_RATE)(w))
    save(f"{name}.fbank", kaldi.fbank(w.unsqueeze(0)))
    if not full:
        return
    save(f"{name}.mel_default", torchaudio.transforms.MelSpectrogram(SAMPLE_RATE)(w))
    save(f"{name}.logmel80_top80", torchaudio.transforms.AmplitudeToDB("power", top_db=80.0)(mel80))
    save(f"{name}.mel_slaney", torchaudio.transforms.MelSpectrogram(
        SAMPLE_RATE, n_fft=512, win_length=400, hop_length=160, f_min=50.0, f_max=7600.0, n_mels=64,
        window_fn=torch.hamming_window, power=1.0, pad_mode="constant", norm="slaney", mel_scale="slaney")(w))
    save(f"{name}.mfcc13_logmels", torchaudio.transforms.MFCC(
        SAMPLE_RATE, n_mfcc=13, log_mels=True, melkwargs={"n_fft": 400, "hop_length": 160, "n_mels": 40})(w))
    save(f"{name}.fbank80_energy_int16scale", kaldi.fbank(w.unsqueeze(0) * 32768, num_mel_bins=80, use_energy=True))
    save(f"{name}.fbank40_hamming_nosnip_400", kaldi.fbank(
        w.unsqueeze(0), num_mel_bins=40, window_type="hamming", snip_edges=False, round_to_power_of_two=False,
        preemphasis_coefficient=0.0, remove_dc_offset=False, low_freq=60.0, high_freq=-400.0))
    spec = torch.stft(w, n_fft=400, hop_length=160, window=torch.hann_window(400), center=True,
                      pad_mode="reflect", return_complex=True)
    save(f"{name}.stft400_re", spec.real)
    save(f"{name}.stft400_im", spec.imag)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default=os.path.join("..", "shared"))
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    for index, (name, relative, start) in enumerate(CLIPS):
        wave = decode(os.path.join(args.shared, "corpora", relative), SAMPLE_RATE)
        first = int(start * SAMPLE_RATE)
        crop = wave[first:first + SAMPLE_RATE]
        assert crop.shape[0] == SAMPLE_RATE, f"{relative}: only {wave.shape[0]} samples"
        save(f"{name}.wave", crop)
        features(name, crop, full=index == 0)
    for rate_in, rate_out in [(44100, 16000), (48000, 16000), (16000, 44100), (22050, 16000)]:
        save(f"ffmpeg_resample_{rate_in}_{rate_out}", ffmpeg_resample(multi_tone(rate_in, 0.5), rate_in, rate_out))


if __name__ == "__main__":
    main()
