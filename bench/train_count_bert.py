#!/usr/bin/python3
"""Trains a small BERT classifier of our own, for measuring recovery on a model nobody tuned for it.

Task ("count"): a text of 12-30 words from the tiny fixture's vocabulary in which cat, dog, cow
and pig occur 0-6 times each, one of them strictly most often; the label is that animal (0 cat,
1 dog, 2 cow, 3 pig). Counting needs attention spread over the whole text, unlike the fixture's
order task.

The model is written as a Hugging Face checkpoint that headprune (and transformers) load:
BertForSequenceClassification, 4 layers x 8 heads, hidden 128 (0.56 M parameters), with the fixture's word-level
tokenizer. Plain PyTorch (Debian's python3-torch), no transformers needed.

    /usr/bin/python3 bench/train_count_bert.py examples/tiny-bert-order OUT_DIR
"""
import json
import math
import random
import shutil
import struct
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

LAYERS, HEADS, HIDDEN, FFN, POSITIONS = 4, 8, 128, 256, 32
ANIMALS = ["cat", "dog", "cow", "pig"]


def texts(vocab_words, count, rng):
    fillers = [w for w in vocab_words if w not in ANIMALS]
    rows = []
    while len(rows) < count:
        counts = [rng.randint(0, 6) for _ in ANIMALS]
        top = max(counts)
        if top == 0 or counts.count(top) > 1:
            continue
        length = rng.randint(max(12, sum(counts)), 30)
        words = [a for a, c in zip(ANIMALS, counts) for _ in range(c)]
        words += [rng.choice(fillers) for _ in range(length - len(words))]
        rng.shuffle(words)
        rows.append({"text": " ".join(words), "label": counts.index(top)})
    return rows


def encode(rows, vocab):
    ids = [[vocab["[CLS]"]] + [vocab[w] for w in r["text"].split()] + [vocab["[SEP]"]] for r in rows]
    width = max(map(len, ids))
    tokens = torch.zeros(len(ids), width, dtype=torch.long)
    mask = torch.zeros(len(ids), width)
    for i, row in enumerate(ids):
        tokens[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    labels = torch.tensor([r["label"] for r in rows])
    return tokens, mask, labels


def parameters(vocab_size, rng_seed):
    g = torch.Generator().manual_seed(rng_seed)
    p = {}

    def normal(*shape):
        return (torch.randn(*shape, generator=g) * 0.02).requires_grad_()

    def zeros(*shape):
        return torch.zeros(*shape).requires_grad_()

    def ones(*shape):
        return torch.ones(*shape).requires_grad_()

    e = "bert.embeddings."
    p[e + "word_embeddings.weight"] = normal(vocab_size, HIDDEN)
    p[e + "position_embeddings.weight"] = normal(POSITIONS, HIDDEN)
    p[e + "token_type_embeddings.weight"] = normal(2, HIDDEN)
    p[e + "LayerNorm.weight"], p[e + "LayerNorm.bias"] = ones(HIDDEN), zeros(HIDDEN)
    for l in range(LAYERS):
        b = f"bert.encoder.layer.{l}."
        for name in ["attention.self.query", "attention.self.key", "attention.self.value",
                     "attention.output.dense"]:
            p[b + name + ".weight"], p[b + name + ".bias"] = normal(HIDDEN, HIDDEN), zeros(HIDDEN)
        p[b + "attention.output.LayerNorm.weight"] = ones(HIDDEN)
        p[b + "attention.output.LayerNorm.bias"] = zeros(HIDDEN)
        p[b + "intermediate.dense.weight"], p[b + "intermediate.dense.bias"] = normal(FFN, HIDDEN), zeros(FFN)
        p[b + "output.dense.weight"], p[b + "output.dense.bias"] = normal(HIDDEN, FFN), zeros(HIDDEN)
        p[b + "output.LayerNorm.weight"], p[b + "output.LayerNorm.bias"] = ones(HIDDEN), zeros(HIDDEN)
    p["bert.pooler.dense.weight"], p["bert.pooler.dense.bias"] = normal(HIDDEN, HIDDEN), zeros(HIDDEN)
    p["classifier.weight"], p["classifier.bias"] = normal(len(ANIMALS), HIDDEN), zeros(len(ANIMALS))
    return p


def forward(p, tokens, mask, train):
    def drop(x):
        return F.dropout(x, 0.1, train)

    b, t = tokens.shape
    e = "bert.embeddings."
    x = p[e + "word_embeddings.weight"][tokens] + p[e + "position_embeddings.weight"][:t] \
        + p[e + "token_type_embeddings.weight"][0]
    x = drop(F.layer_norm(x, (HIDDEN,), p[e + "LayerNorm.weight"], p[e + "LayerNorm.bias"], 1e-12))
    additive = (1 - mask)[:, None, None, :] * torch.finfo(torch.float32).min  # (B, 1, 1, T)
    d = HIDDEN // HEADS
    for l in range(LAYERS):
        pre = f"bert.encoder.layer.{l}."

        def linear(name, v):
            return F.linear(v, p[pre + name + ".weight"], p[pre + name + ".bias"])

        q, k, v = (linear("attention.self." + n, x).view(b, t, HEADS, d).transpose(1, 2)
                   for n in ("query", "key", "value"))  # (B, H, T, D)
        probs = drop((q @ k.transpose(-1, -2) / math.sqrt(d) + additive).softmax(-1))  # (B, H, T, T)
        context = (probs @ v).transpose(1, 2).reshape(b, t, HIDDEN)  # (B, T, E)
        x = F.layer_norm(x + drop(linear("attention.output.dense", context)), (HIDDEN,),
                         p[pre + "attention.output.LayerNorm.weight"],
                         p[pre + "attention.output.LayerNorm.bias"], 1e-12)
        h = F.gelu(linear("intermediate.dense", x))
        x = F.layer_norm(x + drop(linear("output.dense", h)), (HIDDEN,),
                         p[pre + "output.LayerNorm.weight"], p[pre + "output.LayerNorm.bias"], 1e-12)
    pooled = torch.tanh(F.linear(x[:, 0], p["bert.pooler.dense.weight"], p["bert.pooler.dense.bias"]))
    return F.linear(drop(pooled), p["classifier.weight"], p["classifier.bias"])  # (B, C)


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, tensor in tensors.items():
        data = tensor.detach().contiguous().float().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def main():
    fixture, out = Path(sys.argv[1]), Path(sys.argv[2])
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 3000
    torch.manual_seed(7)
    rng = random.Random(7)
    vocab = {w: i for i, w in enumerate(fixture.joinpath("vocab.txt").read_text().split("\n")) if w}
    words = [w for w in vocab if not w.startswith("[")]
    train = texts(words, 60000, rng)
    validation = texts(words, 1000, rng)
    p = parameters(len(vocab), 7)
    optimizer = torch.optim.AdamW(p.values(), lr=1e-3, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / 200) * max(0.0, 1 - s / steps))
    vt, vm, vl = encode(validation, vocab)
    start = time.time()
    for step in range(steps):
        batch = rng.sample(train, 64)
        tokens, mask, labels = encode(batch, vocab)
        loss = F.cross_entropy(forward(p, tokens, mask, True), labels)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(p.values(), 1.0)
        optimizer.step()
        schedule.step()
        if (step + 1) % 500 == 0:
            with torch.no_grad():
                accuracy = (forward(p, vt, vm, False).argmax(-1) == vl).float().mean().item()
            print(f"step {step + 1}: loss {loss.item():.4f}, validation accuracy {accuracy:.4f}, "
                  f"{time.time() - start:.0f} s", flush=True)
    out.mkdir(parents=True, exist_ok=True)
    write_safetensors(out / "model.safetensors", p)
    config = json.loads(fixture.joinpath("config.json").read_text())
    config.update({
        "hidden_size": HIDDEN, "intermediate_size": FFN, "num_attention_heads": HEADS,
        "num_hidden_layers": LAYERS, "max_position_embeddings": POSITIONS,
        "id2label": {str(i): a for i, a in enumerate(ANIMALS)},
        "label2id": {a: i for i, a in enumerate(ANIMALS)},
    })
    out.joinpath("config.json").write_text(json.dumps(config, indent=2) + "\n")
    for name in ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"]:
        shutil.copy(fixture / name, out / name)
    data_rng = random.Random(11)
    for name, count in [("calib.jsonl", 256), ("eval.jsonl", 1000)]:
        with open(out / name, "w") as f:
            for row in texts(words, count, data_rng):
                f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
