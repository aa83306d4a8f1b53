"""Golden fixtures for Sentire's BERT/RoBERTa text encoders (src/Sentire.Models/HuggingFace/Text).

Run with Debian's torch:  /usr/bin/python3 tools/golden/hf_text_fixtures.py
transformers is not installed here, so the reference is written from the published architectures:

BERT (Devlin et al., 2019, "BERT: Pre-training of Deep Bidirectional Transformers", Sec. 3, on the encoder of
Vaswani et al., 2017):
  E   = LayerNorm(W_word[x_t] + W_pos[t] + W_type[s_t])                                    (input representation)
  per layer l, with H = hidden states, heads h = 1..A, d = D / A:
    A_h = softmax(Q_h K_h^T / sqrt(d) + M) V_h,  Q = H W_q^T + b_q, K = H W_k^T + b_k, V = H W_v^T + b_v
          M[b, :, :, j] = 0 for real tokens, min_float for padding (keys only)
    H'  = LayerNorm(H + concat_h(A_h) W_o^T + b_o)                                          (post-norm residual)
    H'' = LayerNorm(H' + act(H' W_i^T + b_i) W_2^T + b_2)                                   (position-wise FFN)
  pooled = tanh(W_p h_[CLS] + b_p)                                                           (pooler)
RoBERTa (Liu et al., 2019) is the same network with learned positions offset past the padding index:
  pos_t = padding_idx + sum_{u<=t} [x_u != pad] for real tokens, padding_idx for padding
  (transformers' create_position_ids_from_input_ids), one token type, and no pooler here.

Weights are random (seeded), saved with Hugging Face parameter names, in the safetensors format written by hand
(the safetensors package is not installed; the writer of tools/golden/safetensors_fixture.py is reused).
Writes tests/fixtures/hf-text/{bert,roberta}/ with config.json, model.safetensors, tokenizer files and
expected.safetensors (input ids, attention mask, every hidden state, pooled output).
  bert:    BertForMaskedLM-style keys ("bert." prefix + an MLM head "cls.predictions.*" the encoder ignores),
           hidden_act "gelu" (erf), vocab.txt of whole words, tokenizer_config.json with do_lower_case.
  roberta: RobertaModel keys (no prefix, no pooler), hidden_act "gelu_new" (tanh approximation),
           vocab.json = <s> <pad> </s> <unk>, the 256 GPT-2 byte characters, <mask>; empty merges.txt.
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from safetensors_fixture import write_safetensors  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "hf-text")

HIDDEN, LAYERS, HEADS, INTERMEDIATE = 64, 2, 4, 128


def gelu(x):  # erf form
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def gelu_new(x):  # tanh approximation (Hendrycks & Gimpel, 2016)
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def init_params(cfg, gen, pooler):
    """Random parameters under the Hugging Face BertModel/RobertaModel names (std 0.2 so layers matter)."""
    d, v, i = cfg["hidden_size"], cfg["vocab_size"], cfg["intermediate_size"]

    def rnd(*shape, std=0.2):
        return torch.randn(*shape, generator=gen) * std

    def ln(name):
        p[name + ".weight"] = 1.0 + rnd(d, std=0.1)
        p[name + ".bias"] = rnd(d, std=0.1)

    p = {}
    p["embeddings.word_embeddings.weight"] = rnd(v, d, std=0.5)
    p["embeddings.position_embeddings.weight"] = rnd(cfg["max_position_embeddings"], d, std=0.5)
    p["embeddings.token_type_embeddings.weight"] = rnd(cfg["type_vocab_size"], d, std=0.5)
    ln("embeddings.LayerNorm")
    for l in range(cfg["num_hidden_layers"]):
        pre = f"encoder.layer.{l}."
        for n in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"]:
            p[pre + n + ".weight"] = rnd(d, d)
            p[pre + n + ".bias"] = rnd(d, std=0.05)
        ln(pre + "attention.output.LayerNorm")
        p[pre + "intermediate.dense.weight"] = rnd(i, d)
        p[pre + "intermediate.dense.bias"] = rnd(i, std=0.05)
        p[pre + "output.dense.weight"] = rnd(d, i)
        p[pre + "output.dense.bias"] = rnd(d, std=0.05)
        ln(pre + "output.LayerNorm")
    if pooler:
        p["pooler.dense.weight"] = rnd(d, d)
        p["pooler.dense.bias"] = rnd(d, std=0.05)
    return p


def encoder_forward(p, cfg, ids, mask, position_ids, act, pooler):
    """The equations of the module docstring; returns (hidden_states list, pooled or None)."""
    b, t = ids.shape
    d, a = cfg["hidden_size"], cfg["num_attention_heads"]
    dh, eps = d // a, cfg["layer_norm_eps"]
    types = torch.zeros_like(ids)
    h = (p["embeddings.word_embeddings.weight"][ids] + p["embeddings.position_embeddings.weight"][position_ids]
         + p["embeddings.token_type_embeddings.weight"][types])
    h = layer_norm(h, p["embeddings.LayerNorm.weight"], p["embeddings.LayerNorm.bias"], eps)
    hidden = [h]
    m = (1.0 - mask[:, None, None, :]) * torch.finfo(torch.float32).min  # (B, 1, 1, T)

    def lin(x, name):
        return x @ p[name + ".weight"].T + p[name + ".bias"]

    for l in range(cfg["num_hidden_layers"]):
        pre = f"encoder.layer.{l}."

        def heads(x):
            return x.view(b, t, a, dh).transpose(1, 2)

        q = heads(lin(h, pre + "attention.self.query"))
        k = heads(lin(h, pre + "attention.self.key"))
        v = heads(lin(h, pre + "attention.self.value"))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + m, dim=-1) @ v
        att = att.transpose(1, 2).reshape(b, t, d)
        h1 = layer_norm(h + lin(att, pre + "attention.output.dense"),
                        p[pre + "attention.output.LayerNorm.weight"], p[pre + "attention.output.LayerNorm.bias"], eps)
        f = lin(act(lin(h1, pre + "intermediate.dense")), pre + "output.dense")
        h = layer_norm(h1 + f, p[pre + "output.LayerNorm.weight"], p[pre + "output.LayerNorm.bias"], eps)
        hidden.append(h)
    pooled = torch.tanh(lin(h[:, 0], "pooler.dense")) if pooler else None
    return hidden, pooled


def pad(rows, pad_id):
    t = max(len(r) for r in rows)
    ids = torch.tensor([r + [pad_id] * (t - len(r)) for r in rows])
    mask = torch.tensor([[1.0] * len(r) + [0.0] * (t - len(r)) for r in rows])
    return ids, mask


def save(folder, cfg, params, expected, hidden, pooled, ids, mask, extra_files):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    write_safetensors(os.path.join(folder, "model.safetensors"), params, {"format": "pt"})
    for name, text in extra_files.items():
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            f.write(text)
    out = {"input_ids": ids.float(), "attention_mask": mask, "last_hidden_state": hidden[-1]}
    for i, h in enumerate(hidden):
        out[f"hidden_states.{i}"] = h
    if pooled is not None:
        out["pooler_output"] = pooled
    write_safetensors(os.path.join(os.path.dirname(folder), os.path.basename(folder) + ".expected.safetensors"),
                      {k: v.detach().contiguous() for k, v in out.items()}, expected)


BERT_WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "woman", "man", "speaks", "softly", "loudly", "and",
              "she", "sounds", "angry", "sad", "calm", "happy", "very", ",", ".", "!", "voice", "the", "is", "##s", "tired"]
BERT_TEXTS = ["A woman speaks softly, and sounds sad.", "The man is ANGRY!"]


def bert():
    gen = torch.Generator().manual_seed(2019)
    cfg = {"architectures": ["BertForMaskedLM"], "model_type": "bert", "vocab_size": len(BERT_WORDS), "hidden_size": HIDDEN,
           "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "intermediate_size": INTERMEDIATE, "hidden_act": "gelu",
           "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "max_position_embeddings": 32,
           "type_vocab_size": 2, "initializer_range": 0.02, "layer_norm_eps": 1e-12, "pad_token_id": 0,
           "position_embedding_type": "absolute"}
    p = init_params(cfg, gen, pooler=True)
    # the lower-cased, punctuation-split words are all in the vocabulary, so WordPiece is a lookup
    def tokenize(text):
        words = []
        for w in text.lower().replace(",", " , ").replace(".", " . ").replace("!", " ! ").split():
            words.append(BERT_WORDS.index(w))
        return [2] + words + [3]
    rows = [tokenize(t) for t in BERT_TEXTS]
    ids, mask = pad(rows, 0)
    positions = torch.arange(ids.shape[1])[None, :].expand_as(ids)
    hidden, pooled = encoder_forward(p, cfg, ids, mask, positions, gelu, pooler=True)
    # BertForMaskedLM layout: encoder under "bert.", plus the MLM head the encoder ignores
    params = {"bert." + k: v for k, v in p.items()}
    params["cls.predictions.bias"] = torch.zeros(len(BERT_WORDS))
    params["cls.predictions.transform.dense.weight"] = torch.randn(HIDDEN, HIDDEN, generator=gen) * 0.02
    params["cls.predictions.transform.dense.bias"] = torch.zeros(HIDDEN)
    params["cls.predictions.transform.LayerNorm.weight"] = torch.ones(HIDDEN)
    params["cls.predictions.transform.LayerNorm.bias"] = torch.zeros(HIDDEN)
    save(os.path.join(OUT, "bert"), cfg, params, {"texts": json.dumps(BERT_TEXTS), "act": "gelu (erf)"},
         hidden, pooled, ids, mask,
         {"vocab.txt": "\n".join(BERT_WORDS) + "\n",
          "tokenizer_config.json": json.dumps({"do_lower_case": True, "tokenizer_class": "BertTokenizer", "model_max_length": 32})})


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


ROBERTA_TEXTS = ["Calm voice, 中文 😀", "Hi!", "angry"]


def roberta():
    gen = torch.Generator().manual_seed(2020)
    byte_chars = bytes_to_unicode()
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for b in range(256):
        vocab[byte_chars[b]] = 4 + b
    vocab["<mask>"] = len(vocab)
    pad_id = 1
    cfg = {"architectures": ["RobertaModel"], "model_type": "roberta", "vocab_size": len(vocab), "hidden_size": HIDDEN,
           "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "intermediate_size": INTERMEDIATE,
           "hidden_act": "gelu_new", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
           "max_position_embeddings": 40, "type_vocab_size": 1, "initializer_range": 0.02, "layer_norm_eps": 1e-5,
           "pad_token_id": pad_id, "bos_token_id": 0, "eos_token_id": 2}
    p = init_params(cfg, gen, pooler=False)
    # no merges: every UTF-8 byte is its own token, <s> .. </s> around
    rows = [[0] + [4 + b for b in t.encode("utf-8")] + [2] for t in ROBERTA_TEXTS]
    ids, mask = pad(rows, pad_id)
    not_pad = (ids != pad_id).long()
    positions = torch.cumsum(not_pad, dim=1) * not_pad + pad_id
    hidden, _ = encoder_forward(p, cfg, ids, mask, positions, gelu_new, pooler=False)
    save(os.path.join(OUT, "roberta"), cfg, p, {"texts": json.dumps(ROBERTA_TEXTS, ensure_ascii=True), "act": "gelu_new (tanh)"},
         hidden, None, ids, mask,
         {"vocab.json": json.dumps(vocab, ensure_ascii=False), "merges.txt": "#version: 0.2\n",
          "tokenizer_config.json": json.dumps({"tokenizer_class": "RobertaTokenizer", "model_max_length": 38})})


if __name__ == "__main__":
    torch.set_grad_enabled(False)
    bert()
    roberta()
    for root, _, files in os.walk(OUT):
        for f in sorted(files):
            path = os.path.join(root, f)
            print(f"{os.path.relpath(path, OUT):45s} {os.path.getsize(path):8d} bytes")
