"""PyTorch eager peer of the benchmark's scoring section (run by PyTorchPeerSection).

Reads a folder written by the section: manifest.json (threads, shapes, the BT head's layers as raw little-endian
float32 files, its activation, the responses of the check) and times, in PyTorch eager on the same thread count,
the same Bradley-Terry head on M responses (its rewards materialised as the [M, N] matrix the SDK returns) and a
linear per-user reward [M, d] x [d, N]. Prints one JSON object on stdout: medians in nanoseconds after a warm-up,
and the head's rewards of the check responses (so the section can show that both compute the same head).

Set-up on Debian: apt-get install -y python3-torch libopenblas0-pthread (without OpenBLAS, Debian's torch uses the
reference BLAS and is 20-100x slower).
"""

import json
import os
import sys
import time

import torch


def load(folder, name, shape):
    with open(os.path.join(folder, name), "rb") as f:
        data = bytearray(f.read())
    return torch.frombuffer(data, dtype=torch.float32).reshape(shape).clone()


ACTIVATIONS = {
    "gelu": torch.nn.functional.gelu,
    "relu": torch.relu,
    "leakyrelu": lambda x: torch.nn.functional.leaky_relu(x, 0.2),  # the SDK's LeakyRelu slope
    "silu": torch.nn.functional.silu,
    "tanh": torch.tanh,
}


def make_head(folder, manifest):
    layers = [(load(folder, l["weight"], l["weight_shape"]), load(folder, l["bias"], l["bias_shape"]) if l.get("bias") else None)
              for l in manifest["layers"]]
    activation = ACTIVATIONS[manifest["activation"]]

    def head(x):
        for i, (weight, bias) in enumerate(layers):
            x = torch.nn.functional.linear(x, weight, bias)
            if i < len(layers) - 1:
                x = activation(x)
        return x.squeeze(-1)

    return head, layers[0][0].shape[1]


def median_ns(call, budget_s, max_repeats):
    for _ in range(20):
        call()
    start = time.perf_counter_ns()
    call()
    estimate = max(time.perf_counter_ns() - start, 1)
    repeats = int(max(20, min(max_repeats, budget_s * 1e9 / estimate)))
    times = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        call()
        times.append(time.perf_counter_ns() - start)
    times.sort()
    return times[len(times) // 2], repeats


def blas_library():
    try:
        with open("/proc/self/maps") as maps:
            names = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
        return ", ".join(sorted(os.path.basename(n) for n in names)) or "none found"
    except OSError:
        return "unknown"


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    torch.set_num_threads(manifest["threads"])
    torch.manual_seed(0)
    head, inputs = make_head(folder, manifest)
    dimension = manifest["dimension"]
    budget = manifest.get("budget_seconds", 2.0)
    max_repeats = manifest.get("max_repeats", 5000)
    result = {"torch": torch.__version__, "threads": torch.get_num_threads(), "shapes": []}
    with torch.inference_mode():
        check = load(folder, manifest["check"], [manifest["check_rows"], inputs])
        result["check_rewards"] = head(check).tolist()
        for m, n in manifest["shapes"]:
            x = torch.randn(m, inputs)
            responses = torch.randn(m, dimension)
            users = torch.randn(dimension, n)
            head_ns, head_repeats = median_ns(lambda: head(x).unsqueeze(1).expand(m, n).contiguous(), budget, max_repeats)
            matmul_ns, matmul_repeats = median_ns(lambda: responses.matmul(users), budget, max_repeats)
            result["shapes"].append({"responses": m, "users": n, "head_ns": head_ns, "head_repeats": head_repeats,
                                     "matmul_ns": matmul_ns, "matmul_repeats": matmul_repeats})
    result["blas"] = blas_library()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
