"""Expected logits of DistilBertTest's model: the tiny BERT fixture's encoder (run by the
independent reference, shared/reference/bert.py) under DistilBERT's head,
classifier(relu(pre_classifier(h0))), where pre_classifier holds BERT's pooler weights.

    cd shared/reference && PYTHONPATH=. /usr/bin/python3 PATH/TO/distilbert_head_logits.py ../fixtures/tiny-bert-order > distilbert-head-logits.json
"""
import json
import sys

import torch

import hies_ref
import tok as tokmod
from scores import read_jsonl

model_dir = sys.argv[1]
model, cfg, tk = hies_ref.load(model_dir)
texts, _ = read_jsonl(model_dir + "/eval.jsonl", cfg)
rows = []
with torch.no_grad():
    for i in range(0, len(texts), 32):
        enc = tokmod.batch_encode(tk, texts[i:i + 32], None)
        out = model.bert(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
        h0 = out["last_hidden_state"][:, 0]
        pre = torch.relu(model.bert.pooler.dense(h0))
        rows.extend(model.classifier(pre).tolist())
json.dump({"logits": rows}, sys.stdout)
