#!/usr/bin/python3
"""The baseline of bench/run: what a user would otherwise run to score heads -- a plain-PyTorch
BERT classifier, one example at a time, as Michel et al.'s and transformers' bertology scripts
do it: a forward with a head mask that requires a gradient, cross-entropy, a backward (the
weights are parameters, so their gradients are computed too, as in any transformers model;
--frozen turns that off), |dL/dg| / n(x) as HIS and the length-normalised attention entropy.

Written for headprune's benchmark (not the reference implementation). Reads config.json and
model.safetensors, and a JSON file {"ids": [[token ids]...], "labels": [int...]} so both sides
score the same tokens. Prints one number on stdout: the scoring loop's wall milliseconds (load
and start excluded; bench/run measures the whole process separately). With --out, writes the
mean HIS and AE per head so bench/run can check both sides computed the same thing.

    /usr/bin/python3 bench/plain_pytorch.py MODEL_DIR inputs.json [--threads N] [--out scores.json]
"""
import argparse
import json
import math
import struct
import sys
import time

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def read_safetensors(path):
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
        data = bytearray(f.read())
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        width = torch.tensor([], dtype=dtype).element_size()
        flat = torch.frombuffer(data, dtype=dtype, count=(end - start) // width, offset=start)
        tensors[name] = flat.reshape(info["shape"]).float()
    return tensors


class Classifier(torch.nn.Module):
    """BertForSequenceClassification's forward on a dict of weights (no dropout: eval mode)."""

    def __init__(self, config, weights):
        super().__init__()
        self.w = weights
        self.layers = config["num_hidden_layers"]
        self.heads = config["num_attention_heads"]
        self.hidden = config["hidden_size"]
        self.eps = config.get("layer_norm_eps", 1e-12)

    def linear(self, x, name):
        return torch.nn.functional.linear(x, self.w[name + ".weight"], self.w[name + ".bias"])

    def norm(self, x, name):
        return torch.nn.functional.layer_norm(
            x, (self.hidden,), self.w[name + ".weight"], self.w[name + ".bias"], self.eps)

    def forward(self, ids, gates):
        """ids (T,), gates (L, N): logits (labels,) and each layer's probabilities (N, T, T)."""
        t = ids.shape[0]
        size = self.hidden // self.heads
        x = (self.w["bert.embeddings.word_embeddings.weight"][ids]
             + self.w["bert.embeddings.position_embeddings.weight"][:t]
             + self.w["bert.embeddings.token_type_embeddings.weight"][0])
        x = self.norm(x, "bert.embeddings.LayerNorm")  # (T, E)
        probabilities = []
        for l in range(self.layers):
            p = "bert.encoder.layer.%d." % l
            q = self.linear(x, p + "attention.self.query").view(t, self.heads, size).transpose(0, 1)
            k = self.linear(x, p + "attention.self.key").view(t, self.heads, size).transpose(0, 1)
            v = self.linear(x, p + "attention.self.value").view(t, self.heads, size).transpose(0, 1)
            attention = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(size), dim=-1)  # (N, T, T)
            probabilities.append(attention)
            context = (attention * gates[l].view(-1, 1, 1)) @ v  # (N, T, D)
            context = context.transpose(0, 1).reshape(t, self.hidden)
            x = self.norm(self.linear(context, p + "attention.output.dense") + x,
                          p + "attention.output.LayerNorm")
            inner = torch.nn.functional.gelu(self.linear(x, p + "intermediate.dense"))
            x = self.norm(self.linear(inner, p + "output.dense") + x, p + "output.LayerNorm")
        pooled = torch.tanh(self.linear(x[0], "bert.pooler.dense"))
        return self.linear(pooled, "classifier"), probabilities


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("inputs")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--out")
    parser.add_argument("--frozen", action="store_true",
                        help="weights without gradients (a transformers model's parameters have them)")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    config = json.load(open(args.model + "/config.json"))
    weights = read_safetensors(args.model + "/model.safetensors")
    for tensor in weights.values():
        tensor.requires_grad_(not args.frozen)  # as nn.Parameter, unless --frozen
    model = Classifier(config, weights)
    inputs = json.load(open(args.inputs))
    layers, heads = config["num_hidden_layers"], config["num_attention_heads"]
    his = torch.zeros(layers, heads, dtype=torch.float64)
    entropy = torch.zeros(layers, heads, dtype=torch.float64)
    start = time.perf_counter()
    for ids, label in zip(inputs["ids"], inputs["labels"]):
        ids = torch.tensor(ids)
        n = ids.shape[0]
        gates = torch.ones(layers, heads, requires_grad=True)
        logits, probabilities = model(ids, gates)
        loss = torch.nn.functional.cross_entropy(logits.unsqueeze(0), torch.tensor([label]))
        loss.backward()
        for tensor in weights.values():
            tensor.grad = None  # model.zero_grad()
        his += gates.grad.abs().double() / n
        with torch.no_grad():
            for l, p in enumerate(probabilities):
                p = p.double()
                rows = -(p * p.clamp_min(1e-45).log()).sum(-1)  # (N, T)
                entropy[l] += rows.sum(-1) / (math.log(n) * n) if n >= 2 else 0
    elapsed = (time.perf_counter() - start) * 1000
    if args.out:
        count = len(inputs["ids"])
        json.dump({"his": (his / count).tolist(), "entropy": (entropy / count).tolist()}, open(args.out, "w"))
    print("%.1f" % elapsed)


if __name__ == "__main__":
    sys.exit(main())
