"""PyTorch side of `sentire-bench norm-ops`: same ops and shapes, medians of forward and backward in ms.
Run: /usr/bin/python3 tools/bench/norm_ops_torch.py [threads] [runs]"""
import sys, time, statistics
import torch
import torch.nn.functional as F

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 7
torch.set_num_threads(threads)
torch.manual_seed(1)
R = torch.randn
w768, b768, w512, b512 = R(768), R(768), R(512), R(512)
targets = torch.tensor([(i * 7919) % 32000 for i in range(512)])
cases = [
    ("layer_norm (4096, 768)", [R(4096, 768), w768, b768], lambda x, w, b: F.layer_norm(x, [768], w, b)),
    ("rms_norm (4096, 768)", [R(4096, 768), w768], lambda x, w: x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w),
    ("group_norm (2, 512, 8000) g=512", [R(2, 512, 8000), w512, b512], lambda x, w, b: F.group_norm(x, 512, w, b)),
    ("softmax (4096, 512) dim -1", [R(4096, 512)], lambda x: F.softmax(x, -1)),
    ("log_softmax (4096, 512) dim -1", [R(4096, 512)], lambda x: F.log_softmax(x, -1)),
    ("gelu (4096, 3072)", [R(4096, 3072)], F.gelu),
    ("cross_entropy (512, 32000) ls=0.1", [R(512, 32000)], lambda x: F.cross_entropy(x, targets, label_smoothing=0.1)),
    ("mean (8, 512, 768) dim 1", [R(8, 512, 768)], lambda x: x.mean(1)),
]
print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
for name, inputs, op in cases:
    for x in inputs:
        x.requires_grad_(True)
    fw, bw, fc, bc = [], [], [], []
    for r in range(runs + 1):
        for x in inputs:
            x.grad = None
        c0 = time.process_time(); t0 = time.perf_counter(); y = op(*inputs); t1 = time.perf_counter(); c1 = time.process_time()
        g = torch.ones_like(y)
        c2 = time.process_time(); t2 = time.perf_counter(); y.backward(g); t3 = time.perf_counter(); c3 = time.process_time()
        if r > 0:
            fw.append((t1 - t0) * 1e3); bw.append((t3 - t2) * 1e3); fc.append((c1 - c0) * 1e3); bc.append((c3 - c2) * 1e3)
    m = statistics.median
    print(f"{name:<36} forward {m(fw):8.2f} ms (cpu {m(fc):8.2f})  backward {m(bw):8.2f} ms (cpu {m(bc):8.2f})")
