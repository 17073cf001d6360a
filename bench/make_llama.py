"""Writes a Llama-shaped model with random BF16 weights, for memory and speed measurements:
    /usr/bin/python3 bench/make_llama.py OUT_DIR [--layers 16 --hidden 2048 --heads 32 --kv-heads 8
        --ffn 8192 --vocab 32000 --shard-gb 0 --texts 0 --tokens 128]
The tokenizer files come from src/test/resources/fixtures/tiny-llama-gqa (its 61 token ids are
all below the vocabulary size). Default shape: about 1.1 B parameters (2.2 GB of BF16).
--shard-gb S > 0 writes shards of at most S GB with model.safetensors.index.json, as the Hub
does; --texts N writes calib.jsonl and eval.jsonl as N texts of --tokens tokens each (BOS + random
words; different draws), else calib.jsonl is the fixture's. The 7 B shape of bench/run big: --layers 32 --hidden 4096 --heads 32 --kv-heads 8
--ffn 14336 --vocab 32000 --shard-gb 5 --texts 16."""
import argparse
import json
import os
import shutil
import struct

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--layers", type=int, default=16)
ap.add_argument("--hidden", type=int, default=2048)
ap.add_argument("--heads", type=int, default=32)
ap.add_argument("--kv-heads", type=int, default=8)
ap.add_argument("--ffn", type=int, default=8192)
ap.add_argument("--vocab", type=int, default=32000)
ap.add_argument("--shard-gb", type=float, default=0)
ap.add_argument("--texts", type=int, default=0)
ap.add_argument("--tokens", type=int, default=128)
a = ap.parse_args()
head_dim = a.hidden // a.heads
shapes = {"model.embed_tokens.weight": (a.vocab, a.hidden)}
for l in range(a.layers):
    p = f"model.layers.{l}."
    shapes[p + "input_layernorm.weight"] = (a.hidden,)
    shapes[p + "self_attn.q_proj.weight"] = (a.heads * head_dim, a.hidden)
    shapes[p + "self_attn.k_proj.weight"] = (a.kv_heads * head_dim, a.hidden)
    shapes[p + "self_attn.v_proj.weight"] = (a.kv_heads * head_dim, a.hidden)
    shapes[p + "self_attn.o_proj.weight"] = (a.hidden, a.heads * head_dim)
    shapes[p + "post_attention_layernorm.weight"] = (a.hidden,)
    shapes[p + "mlp.gate_proj.weight"] = (a.ffn, a.hidden)
    shapes[p + "mlp.up_proj.weight"] = (a.ffn, a.hidden)
    shapes[p + "mlp.down_proj.weight"] = (a.hidden, a.ffn)
shapes["model.norm.weight"] = (a.hidden,)
shapes["lm_head.weight"] = (a.vocab, a.hidden)

# tensors in order, cut into shards of at most --shard-gb (one shard when 0)
limit = int(a.shard_gb * 1e9) if a.shard_gb > 0 else None
shards, size = [[]], 0
for name, shape in shapes.items():
    nbytes = int(np.prod(shape)) * 2
    if limit is not None and shards[-1] and size + nbytes > limit:
        shards.append([])
        size = 0
    shards[-1].append(name)
    size += nbytes
os.makedirs(a.out, exist_ok=True)
rng = np.random.default_rng(7)
total, weight_map = 0, {}
for i, names in enumerate(shards):
    file = "model.safetensors" if len(shards) == 1 else f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name in names:
        nbytes = int(np.prod(shapes[name])) * 2
        header[name] = {"dtype": "BF16", "shape": list(shapes[name]), "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
        weight_map[name] = file
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(os.path.join(a.out, file), "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name in names:
            shape = shapes[name]
            if name.endswith("norm.weight"):
                values = np.ones(shape, dtype=np.float32)
            else:
                values = (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype(np.float32)
            f.write((values.view(np.uint32) >> 16).astype(np.uint16).tobytes())
    total += offset
if len(shards) > 1:
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    json.dump(index, open(os.path.join(a.out, "model.safetensors.index.json"), "w"), indent=2)
offset = total
config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": a.hidden,
          "intermediate_size": a.ffn, "num_hidden_layers": a.layers, "num_attention_heads": a.heads,
          "num_key_value_heads": a.kv_heads, "head_dim": head_dim, "max_position_embeddings": 2048,
          "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "rope_scaling": None, "hidden_act": "silu",
          "tie_word_embeddings": False, "vocab_size": a.vocab, "torch_dtype": "bfloat16", "pad_token_id": 0}
json.dump(config, open(os.path.join(a.out, "config.json"), "w"), indent=2)
here = os.path.dirname(os.path.abspath(__file__))
fixture = os.path.join(here, "..", "src", "test", "resources", "fixtures", "tiny-llama-gqa")
for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "calib.jsonl"):
    shutil.copy(os.path.join(fixture, name), a.out)
if a.texts > 0:
    # word-level tokenizer: one token per vocabulary word, BOS added by the tokenizer
    vocab = json.load(open(os.path.join(fixture, "tokenizer.json")))["model"]["vocab"]
    words = sorted(w for w in vocab if w.isalpha() and w.islower())
    for name, seed in (("calib.jsonl", 11), ("eval.jsonl", 12)):
        pick = np.random.default_rng(seed)
        with open(os.path.join(a.out, name), "w") as f:
            for _ in range(a.texts):
                text = " ".join(words[j] for j in pick.integers(0, len(words), a.tokens - 1))
                f.write(json.dumps({"text": text}) + "\n")
print(f"{a.out}: {sum(int(np.prod(s)) for s in shapes.values()) / 1e9:.3f} B parameters, {offset / 1e9:.2f} GB")
