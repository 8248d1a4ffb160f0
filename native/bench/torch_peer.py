#!/usr/bin/python3
# PyTorch (Python front end) peer for `dae-train bench`: same architectures, data, batch and threads; prints the ratio.
"""Run with Debian's interpreter (it sees python3-torch):

    build/native/native/trainer/dae-train --threads 1 bench --json build/bench/trainer_bench.json
    /usr/bin/python3 native/bench/torch_peer.py --compare build/bench/trainer_bench.json
"""
import argparse
import gzip
import json
import time

import numpy as np
import torch
import torch.nn.functional as F

WARMUP_STEPS = 3  # steps before timing starts, as in the C++ bench
EVAL_BATCH = 256


class GraphModule(torch.nn.Module):
    """Builds the architecture graph (the `dae.arch` JSON) node by node, like the C++ GraphModule."""

    def __init__(self, arch):
        super().__init__()
        self.nodes = arch["nodes"]
        for n in self.nodes:
            if n["op"] == "conv":
                setattr(self, n["name"], torch.nn.Conv2d(n["cin"], n["cout"], n["kernel"], n.get("stride", 1), n.get("pad", 0)))
            elif n["op"] == "conv_transpose":
                setattr(self, n["name"], torch.nn.ConvTranspose2d(n["cin"], n["cout"], n["kernel"], n.get("stride", 1),
                                                                   n.get("pad", 0), n.get("output_pad", 0)))

    def forward(self, x):
        acts = {"input": x}
        for n in self.nodes:
            a = acts[n["inputs"][0]]
            op = n["op"]
            if op in ("conv", "conv_transpose"):
                y = getattr(self, n["name"])(a)
            elif op == "maxpool":
                y = F.max_pool2d(a, n["kernel"], n["kernel"])
            elif op == "upsample":
                y = F.interpolate(a, scale_factor=n["scale"], mode="nearest")
            elif op == "concat":
                y = torch.cat([a, acts[n["inputs"][1]]], 1)
            elif op == "add":
                y = a + acts[n["inputs"][1]]
            elif op == "sub":
                y = a - acts[n["inputs"][1]]
            else:
                raise ValueError("unknown op " + op)
            act = n.get("act", "none")
            if act == "relu":
                y = torch.relu(y)
            elif act == "sigmoid":
                y = torch.sigmoid(y)
            acts[n["name"]] = y
            last = y
        return last


def load_images(path, count):
    with gzip.open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[4:8], "big")
    images = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, 1, 28, 28)[:count]
    return torch.from_numpy(images.astype(np.float32) / 255.0)


def rate(seconds, images, step):
    for _ in range(WARMUP_STEPS):
        step()
    t0 = time.perf_counter()
    done = 0
    while True:
        step()
        done += images
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            return done / elapsed


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--compare", required=True, help="JSON written by `dae-train bench --json`")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--seconds", type=float, default=10.0)
    args = p.parse_args()
    with open(args.compare) as f:
        cpp = json.load(f)
    torch.set_num_threads(cpp["threads"])
    batch = cpp["train_batch"]
    clean = load_images(args.data + "/train-images-idx3-ubyte.gz", batch)
    eval_clean = load_images(args.data + "/t10k-images-idx3-ubyte.gz", EVAL_BATCH)
    torch.manual_seed(7)
    noisy = (clean + 0.3 * torch.randn_like(clean)).clamp(0, 1)
    eval_noisy = (eval_clean + 0.3 * torch.randn_like(eval_clean)).clamp(0, 1)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, training batch {batch}, "
          f"inference batch {EVAL_BATCH}, {args.seconds:.0f} s per measurement")
    print(f"{'model':6} {'py train img/s':>15} {'C++ train img/s':>16} {'C++/py':>7} "
          f"{'py eval img/s':>14} {'C++ eval img/s':>15} {'C++/py':>7}")
    for name, m in cpp["models"].items():
        torch.manual_seed(1)
        model = GraphModule(m["arch"])
        assert sum(p.numel() for p in model.parameters()) == m["params"], name
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        bce = name == "seed"

        def train_step():
            out = model(noisy)
            loss = F.binary_cross_entropy(out, clean) if bce else F.mse_loss(out, clean)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss.item()

        model.train()
        train_rate = rate(args.seconds, batch, train_step)
        model.eval()
        with torch.no_grad():
            eval_rate = rate(args.seconds, EVAL_BATCH, lambda: model(eval_noisy))
        ct, ce = m["train_images_per_second"], m["torch_eval_images_per_second"]
        print(f"{name:6} {train_rate:15.0f} {ct:16.0f} {ct / train_rate:7.2f} {eval_rate:14.0f} {ce:15.0f} "
              f"{ce / eval_rate:7.2f}", flush=True)


if __name__ == "__main__":
    main()
