"""Writes fixtures/random-electra and its golden values, independently of the engine.

ElectraForSequenceClassification, written here in plain PyTorch from transformers'
models/electra/modeling_electra.py (4.x): ElectraEmbeddings (word, absolute position and token
type embeddings of width embedding_size, LayerNorm over embedding_size), embeddings_project =
Linear(embedding_size, hidden_size) because embedding_size != hidden_size, the BERT encoder
layers (ElectraLayer is "Copied from transformers.models.bert.modeling_bert.BertLayer"; taken from
the shared reference's bert.py), and ElectraClassificationHead on the first token:
out_proj(gelu(dense(h0))) with the erf GELU (get_activation("gelu")), not BERT's tanh pooler.

Scores follow ARCHITECTURE §3 one example at a time (HIS = mean |dL/dg| / n, AE = mean of
sum_t H(P[t]) / (n ln n)), alpha 0.5, global min-max, with the shared reference's minmax/select.

    cd shared/reference && /usr/bin/python3 <repo>/src/test/resources/golden/tools/electra_fixture.py <repo>
"""
import json, math, os, shutil, sys

import torch
from torch import nn

sys.path.insert(0, os.getcwd())
import bert, hf_io, tok as tokmod  # noqa: E402  (the shared reference, run from its folder)
from hies_ref import minmax, select  # noqa: E402
from scores import read_jsonl  # noqa: E402

REPO = sys.argv[1]
SRC = os.path.join(REPO, "src/test/resources/fixtures/tiny-bert-order")
OUT = os.path.join(REPO, "src/test/resources/fixtures/random-electra")
GOLDEN = os.path.join(REPO, "src/test/resources/golden")

CFG = {
    "architectures": ["ElectraForSequenceClassification"], "model_type": "electra",
    "embedding_size": 16, "hidden_size": 32, "num_hidden_layers": 3, "num_attention_heads": 4,
    "intermediate_size": 64, "hidden_act": "gelu", "max_position_embeddings": 64,
    "type_vocab_size": 2, "vocab_size": 69, "layer_norm_eps": 1e-12, "pad_token_id": 0,
    "position_embedding_type": "absolute", "summary_type": "first",
    "id2label": {"0": "dog_first", "1": "cat_first"}, "label2id": {"dog_first": 0, "cat_first": 1},
    "torch_dtype": "float32",
}


class Electra(nn.Module):
    def __init__(self, d):
        super().__init__()
        c = bert.Cfg(d)
        self.c = c
        E = d["embedding_size"]
        self.word = nn.Embedding(c.vocab_size, E)
        self.position = nn.Embedding(c.max_position_embeddings, E)
        self.token_type = nn.Embedding(c.type_vocab_size, E)
        self.norm = nn.LayerNorm(E, eps=c.layer_norm_eps)
        self.project = nn.Linear(E, c.hidden_size)
        self.layers = nn.ModuleList([bert.BertLayer(c) for _ in range(c.num_hidden_layers)])
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.out_proj = nn.Linear(c.hidden_size, 2)

    def forward(self, ids, mask, types, gates=None):
        T = ids.shape[1]
        h = self.word(ids) + self.token_type(types) + self.position(torch.arange(T)[None, :])
        h = self.project(self.norm(h))
        ext = bert.extended_attention_mask(mask, h.dtype)
        attns = []
        for l, layer in enumerate(self.layers):
            g = None if gates is None else gates[l].view(1, -1, 1, 1)
            h, p = layer(h, ext, g)
            attns.append(p)
        x = bert.gelu_erf(self.dense(h[:, 0]))
        return self.out_proj(x), attns

    def state(self):
        sd = {"electra.embeddings.word_embeddings.weight": self.word.weight,
              "electra.embeddings.position_embeddings.weight": self.position.weight,
              "electra.embeddings.token_type_embeddings.weight": self.token_type.weight,
              "electra.embeddings.LayerNorm.weight": self.norm.weight,
              "electra.embeddings.LayerNorm.bias": self.norm.bias,
              "electra.embeddings_project.weight": self.project.weight,
              "electra.embeddings_project.bias": self.project.bias,
              "classifier.dense.weight": self.dense.weight, "classifier.dense.bias": self.dense.bias,
              "classifier.out_proj.weight": self.out_proj.weight,
              "classifier.out_proj.bias": self.out_proj.bias}
        for l, layer in enumerate(self.layers):
            for k, v in layer.state_dict().items():
                sd[f"electra.encoder.layer.{l}.{k}"] = v
        return {k: v.detach().contiguous().clone() for k, v in sd.items()}


torch.manual_seed(20261205)
model = Electra(CFG)
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.randn(p.shape) * 0.35)
    for norm in [model.norm] + [m for m in model.modules() if isinstance(m, nn.LayerNorm)]:
        norm.weight.copy_(1 + 0.2 * torch.randn(norm.weight.shape))
model.eval()
for p in model.parameters():
    p.requires_grad_(False)

os.makedirs(OUT, exist_ok=True)
for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
    shutil.copy(os.path.join(SRC, f), OUT)
for f, n in (("calib.jsonl", 48), ("eval.jsonl", 64)):
    with open(os.path.join(SRC, f)) as a, open(os.path.join(OUT, f), "w") as b:
        b.writelines(a.readlines()[:n])
hf_io.save_safetensors(model.state(), os.path.join(OUT, "model.safetensors"), {"format": "pt"})
hf_io.write_config(CFG, OUT)

tk = tokmod.Tokenizer(os.path.join(OUT, "tokenizer.json"))
cfg = hf_io.read_config(OUT)
texts, labels = read_jsonl(os.path.join(OUT, "calib.jsonl"), cfg)
his = [torch.zeros(4, dtype=torch.float64) for _ in range(3)]
ae = [torch.zeros(4, dtype=torch.float64) for _ in range(3)]
for text, y in zip(texts, labels):
    enc = tokmod.batch_encode(tk, [text])
    n = int(enc["attention_mask"].sum())
    gates = [torch.ones(4, requires_grad=True) for _ in range(3)]
    logits, attns = model(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"], gates)
    nn.functional.cross_entropy(logits, torch.tensor([y])).backward()
    for l, g in enumerate(gates):
        his[l] += g.grad.double().abs() / n
        p = attns[l][0].detach().double()
        plogp = torch.where(p > 0, p * torch.log(p), torch.zeros_like(p))
        if n >= 2:
            ae[l] += (-plogp.sum(-1))[:, :n].sum(-1) / (n * math.log(n))
N = len(texts)
heads = [{"layer": l, "head": h, "his": float(his[l][h] / N), "entropy": float(ae[l][h] / N)}
         for l in range(3) for h in range(4)]
hn, en = minmax([x["his"] for x in heads]), minmax([x["entropy"] for x in heads])
for x, a, b in zip(heads, hn, en):
    x["hisNorm"], x["entropyNorm"], x["hies"] = a, b, 0.5 * a + 0.5 * (1 - b)
scores = {"examples": N, "alpha": 0.5, "normalization": "global", "heads": heads}
with open(os.path.join(OUT, "golden-scores.json"), "w") as f:
    json.dump(scores, f, indent=1)

eval_texts, eval_labels = read_jsonl(os.path.join(OUT, "eval.jsonl"), cfg)
with torch.no_grad():
    enc = tokmod.batch_encode(tk, eval_texts)
    logits, _ = model(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
with open(os.path.join(GOLDEN, "random-electra.json"), "w") as f:
    json.dump({"evalLogits": logits.tolist(), "select-hies-0.5": select(scores, 0.5)}, f)
print("electra: accuracy", float((logits.argmax(-1) == torch.tensor(eval_labels)).double().mean()))
