# A small BERT classifier trained from scratch on real text: Debian package short descriptions
# labelled with their archive section (games, science, sound, graphics, net, text), written as a
# Hugging Face checkpoint (model/) with calib.jsonl (300) and eval.jsonl (300) beside it — the
# real model of issue 13's alpha-auto experiment. Plain PyTorch (Debian's python3-torch), offline:
#   apt-cache dumpavail > dump.txt
#   python3 tools/debian-sections-bert.py 10 examples/tiny-bert-order/tokenizer.json
#   cp examples/tiny-bert-order/{tokenizer_config.json,special_tokens_map.json} model/
#   java -jar target/headprune.jar prune --model model --data calib.jsonl --eval eval.jsonl --seeds 5 \
#     --calibration-size 32 --alpha auto --criteria hies,his,entropy,random --sparsities 0.1,0.3,0.5 --out out
import json, random, re, struct, collections, math, os, sys
import torch, torch.nn as nn, torch.nn.functional as F
random.seed(0); torch.manual_seed(0)
SECTIONS = ["games", "science", "sound", "graphics", "net", "text"]
items = {}; sec = None; desc = None
for line in open("dump.txt", encoding="utf-8", errors="replace"):
    if line.startswith("Section:"): sec = line.split(":", 1)[1].strip()
    elif line.startswith("Description:"): desc = line.split(":", 1)[1].strip()
    elif line.strip() == "":
        if sec in SECTIONS and desc: items.setdefault(desc.lower(), SECTIONS.index(sec))
        sec = desc = None
by = collections.defaultdict(list)
for d, l in items.items(): by[l].append(d)
data = []
for l in range(6):
    random.shuffle(by[l]); data += [(d, l) for d in by[l][:650]]
random.shuffle(data)
calib, evals, train = data[:300], data[300:600], data[600:]
def words(t): return re.findall(r"\w+|[^\w\s]+", t.lower())
freq = collections.Counter(w for d, _ in train for w in words(d))
vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + sorted(w for w, c in freq.items() if c >= 2)
ids = {w: i for i, w in enumerate(vocab)}
def encode(t, n=32):
    x = [2] + [ids.get(w, 1) for w in words(t)][: n - 2] + [3]
    return x
H, L, A, I, P = 192, 6, 6, 384, 64
class Layer(nn.Module):
    def __init__(s):
        super().__init__()
        s.q, s.k, s.v, s.o = (nn.Linear(H, H) for _ in range(4)); s.ln1 = nn.LayerNorm(H, eps=1e-12)
        s.i, s.out = nn.Linear(H, I), nn.Linear(I, H); s.ln2 = nn.LayerNorm(H, eps=1e-12); s.drop = nn.Dropout(0.1)
    def forward(s, x, mask):
        B, T, _ = x.shape
        sh = lambda t: t.view(B, T, A, H // A).transpose(1, 2)
        a = (sh(s.q(x)) @ sh(s.k(x)).transpose(-1, -2)) / math.sqrt(H // A) + mask
        c = (s.drop(a.softmax(-1)) @ sh(s.v(x))).transpose(1, 2).reshape(B, T, H)
        x = s.ln1(x + s.drop(s.o(c)))
        return s.ln2(x + s.drop(s.out(F.gelu(s.i(x)))))
class Bert(nn.Module):
    def __init__(s):
        super().__init__()
        s.we, s.pe, s.te = nn.Embedding(len(vocab), H), nn.Embedding(P, H), nn.Embedding(2, H)
        s.ln = nn.LayerNorm(H, eps=1e-12); s.layers = nn.ModuleList(Layer() for _ in range(L))
        s.pool, s.cls = nn.Linear(H, H), nn.Linear(H, 6); s.drop = nn.Dropout(0.1)
    def forward(s, x):
        m = (x != 0).float()[:, None, None, :]; m = (1 - m) * torch.finfo(torch.float32).min
        h = s.drop(s.ln(s.we(x) + s.pe(torch.arange(x.shape[1]))[None] + s.te(torch.zeros_like(x))))
        for l in s.layers: h = l(h, m)
        return s.cls(s.drop(torch.tanh(s.pool(h[:, 0]))))
model = Bert(); opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01)
def batchify(rows):
    xs = [encode(d) for d, _ in rows]; n = max(map(len, xs))
    return torch.tensor([x + [0] * (n - len(x)) for x in xs]), torch.tensor([l for _, l in rows])
torch.set_num_threads(1)
for epoch in range(int(sys.argv[1]) if len(sys.argv) > 1 else 8):
    model.train(); random.shuffle(train)
    for b in range(0, len(train), 32):
        x, y = batchify(train[b:b + 32]); loss = F.cross_entropy(model(x), y)
        opt.zero_grad(); loss.backward(); opt.step()
    model.eval()
    with torch.no_grad():
        x, y = batchify(evals); acc = (model(x).argmax(-1) == y).float().mean().item()
    print("epoch", epoch, "loss", round(loss.item(), 4), "eval acc", round(acc, 4), flush=True)
os.makedirs("model", exist_ok=True)
sd = model.state_dict(); t = {}
t["bert.embeddings.word_embeddings.weight"] = sd["we.weight"]; t["bert.embeddings.position_embeddings.weight"] = sd["pe.weight"]
t["bert.embeddings.token_type_embeddings.weight"] = sd["te.weight"]
t["bert.embeddings.LayerNorm.weight"] = sd["ln.weight"]; t["bert.embeddings.LayerNorm.bias"] = sd["ln.bias"]
for i in range(L):
    p = f"bert.encoder.layer.{i}."; q = f"layers.{i}."
    for a, b in [("attention.self.query", "q"), ("attention.self.key", "k"), ("attention.self.value", "v"),
                 ("attention.output.dense", "o"), ("attention.output.LayerNorm", "ln1"), ("intermediate.dense", "i"),
                 ("output.dense", "out"), ("output.LayerNorm", "ln2")]:
        t[p + a + ".weight"] = sd[q + b + ".weight"]; t[p + a + ".bias"] = sd[q + b + ".bias"]
t["bert.pooler.dense.weight"] = sd["pool.weight"]; t["bert.pooler.dense.bias"] = sd["pool.bias"]
t["classifier.weight"] = sd["cls.weight"]; t["classifier.bias"] = sd["cls.bias"]
header = {}; blobs = []; off = 0
for k, v in t.items():
    b = v.contiguous().numpy().astype("<f4").tobytes(); header[k] = {"dtype": "F32", "shape": list(v.shape), "data_offsets": [off, off + len(b)]}
    blobs.append(b); off += len(b)
h = json.dumps(header).encode(); h += b" " * ((8 - len(h) % 8) % 8)
with open("model/model.safetensors", "wb") as f: f.write(struct.pack("<Q", len(h))); f.write(h); [f.write(b) for b in blobs]
json.dump({"architectures": ["BertForSequenceClassification"], "model_type": "bert", "hidden_size": H, "num_hidden_layers": L,
  "num_attention_heads": A, "intermediate_size": I, "hidden_act": "gelu", "max_position_embeddings": P, "type_vocab_size": 2,
  "vocab_size": len(vocab), "layer_norm_eps": 1e-12, "pad_token_id": 0, "hidden_dropout_prob": 0.1,
  "attention_probs_dropout_prob": 0.1, "id2label": {str(i): s for i, s in enumerate(SECTIONS)},
  "label2id": {s: i for i, s in enumerate(SECTIONS)}, "problem_type": "single_label_classification"}, open("model/config.json", "w"), indent=1)
open("model/vocab.txt", "w").write("\n".join(vocab) + "\n")
tok = json.load(open(sys.argv[2])) if len(sys.argv) > 2 else None
if tok:
    tok["model"]["vocab"] = ids; tok["truncation"] = None; tok["padding"] = None
    for s in tok.get("added_tokens", []): s["id"] = ids.get(s["content"], s["id"])
    pp = tok.get("post_processor") or {}
    for name, spec in (pp.get("special_tokens") or {}).items(): spec["ids"] = [ids[name]]
    json.dump(tok, open("model/tokenizer.json", "w"))
for name, rows in [("calib", calib), ("eval", evals)]:
    with open(name + ".jsonl", "w") as f:
        for d, l in rows: f.write(json.dumps({"text": d, "label": l}) + "\n")
print("vocab", len(vocab), "train", len(train), "calib", len(calib), "eval", len(evals))
