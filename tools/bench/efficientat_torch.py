"""PyTorch side of `sentire-bench efficientat`: the same network (tools/golden/efficientat_fixtures.py, float32) and front
end on the demo clips tiled to the same length; medians of wall and process CPU ms.
Run: /usr/bin/python3 tools/bench/efficientat_torch.py [threads (2)] [seconds (10)] [runs (7)]"""
import glob
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
import efficientat_fixtures as fx  # noqa: E402

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 7
torch.set_num_threads(threads)
sd = {k: v.float() for k, v in torch.load(os.path.join(fx.TEACHER, "mn04_as_mAP_432.pt"), map_location="cpu").items()
      if not k.endswith("num_batches_tracked")}
pieces = [fx.decode_32k(p) for p in sorted(glob.glob(os.path.join(fx.ROOT, "samples", "*.flac")))]
audio = torch.cat(pieces * (int(seconds * 32000) // sum(len(p) for p in pieces) + 1))[: int(seconds * 32000)]


def timed(fn):
    wall, cpu = [], []
    for r in range(runs + 3):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        if r >= 3:
            wall.append((time.perf_counter() - t0) * 1e3)
            cpu.append((time.process_time() - c0) * 1e3)
    return statistics.median(wall), statistics.median(cpu)


with torch.no_grad():
    mel = fx.front_end(audio)
    f, fc = timed(lambda: fx.front_end(audio))
    n, nc = timed(lambda: fx.network(sd, mel[None, None]))
print(f"torch {torch.__version__}, threads {threads}, {seconds} s of audio")
print(f"front end {f:.1f} ms (cpu {fc:.1f}), network {n:.1f} ms (cpu {nc:.1f}), total {(f + n) / seconds:.2f} ms per second of audio")
