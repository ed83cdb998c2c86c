"""Local scoring speed and precision: SmolLM2-135M on 512-token texts, torch eager vs onnxruntime-node
(the extension's scoring process) in fp32 and int8.

    .venv/bin/python bench/onnx_scoring.py [--threads 2] [--texts 4] [--work /tmp/rlstudio-onnx-bench]

Exports `embedded:smollm2-135m` with `rlstudio export-onnx` (fp32 and int8; reused when present in
--work), takes --texts real 512-token texts (this repository's README and docs), and scores each:
torch eager runs the same scoring graph the export holds (torch.set_num_threads(--threads));
onnxruntime-node runs in the scoring process (RLSTUDIO_SCORING_THREADS=--threads), timed from the
extension's side (JSON-RPC, tokenization and offsets included). Prints tokens/s, the ratio to
torch, peak RSS of the process that scored, the int8 logprob error against torch, and the latency of
a 200-token selection after warm-up (median of 5). Also checks @huggingface/tokenizers against the
Python tokenizer on the texts and a whitespace/CJK/emoji/chat corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCES = ["README.md", "docs/run-format.md", "docs/knowledge-points.md", "docs/worker-protocol.md"]


def real_texts(tokenizer, count: int, length: int) -> list[str]:
    ids = []
    for name in SOURCES:
        path = REPO / name
        if path.exists():
            ids += tokenizer(path.read_text(encoding="utf-8"), add_special_tokens=False)["input_ids"]
    chunks = [ids[i : i + length] for i in range(0, len(ids) - length, length)][:count]
    # Decode and re-encode: the text a user would select (its tokenization may differ by a token or two).
    return [tokenizer.decode(c) for c in chunks]


def torch_scores(model_tokenizer, texts: list[str], threads: int):
    import torch
    from rlstudio.export.scoring_graph import ScoringGraph

    torch.set_num_threads(threads)
    model, tokenizer = model_tokenizer
    graph = ScoringGraph(model).eval()
    out, times = [], []
    with torch.no_grad():
        warm = torch.tensor([tokenizer(texts[0], add_special_tokens=False)["input_ids"][:64]])
        graph(warm, torch.ones_like(warm), torch.tensor(1.0))
        for text in texts:
            ids = torch.tensor([tokenizer(text, add_special_tokens=False)["input_ids"]])
            started = time.perf_counter()
            logprobs, *_ = graph(ids, torch.ones_like(ids), torch.tensor(1.0))
            times.append(time.perf_counter() - started)
            out.append(logprobs[0].tolist())
    return out, times


def node_scores(export_dir: Path, texts: list[str], selection: str, threads: int) -> dict:
    env = {**os.environ, "RLSTUDIO_SCORING_THREADS": str(threads)}
    request = json.dumps({"exportDir": str(export_dir), "texts": texts, "selection": selection, "repeats": 5,
                          "parity": texts + PARITY_EXTRA})
    done = subprocess.run(["node", "--import", "tsx", "bench/onnx_scoring.ts"], cwd=REPO, input=request, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


PARITY_EXTRA = ["  two  spaces\n\n\ttabs\t", "中文文本，日本語のテキスト", "emoji 🙂👍🏽 👨‍👩‍👧",
                "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--texts", type=int, default=4)
    parser.add_argument("--length", type=int, default=512)
    parser.add_argument("--work", default="/tmp/rlstudio-onnx-bench")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from rlstudio.embedded import load_embedded
    from rlstudio.export.onnx_export import export

    work = Path(args.work)
    exports, export_s = {}, {}
    for quantize in (None, "int8"):
        target = work / ("smollm2-135m" + ("-int8" if quantize else ""))
        if not (target / "export.json").exists():
            started = time.perf_counter()
            export("embedded:smollm2-135m", out=str(target), quantize=quantize, progress=lambda m: print(f"  {m}"))
            export_s[quantize or "fp32"] = time.perf_counter() - started
        exports[quantize or "fp32"] = target
    model, tokenizer = load_embedded("embedded:smollm2-135m", "float32")
    texts = real_texts(tokenizer, args.texts, args.length)
    selection = tokenizer.decode(tokenizer(texts[0], add_special_tokens=False)["input_ids"][:200])

    reference, torch_times = torch_scores((model, tokenizer), texts, args.threads)
    torch_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    runs = {name: node_scores(path, texts, selection, args.threads) for name, path in exports.items()}

    corpus = texts + PARITY_EXTRA
    same = sum(ids == tokenizer(t, add_special_tokens=False)["input_ids"]
               for ids, t in zip(runs["fp32"]["parityIds"], corpus))
    tokens = sum(len(r) + 1 for r in reference)
    torch_tps = tokens / sum(torch_times)
    rows = [("torch eager (fp32)", torch_tps, 1.0, torch_rss, "—", "—")]
    for name, run in runs.items():
        tps = tokens / (sum(run["textMs"]) / 1000)
        diffs = [abs(a - b) for got, ref in zip(run["logprobs"], reference) for a, b in zip(got[1:], ref)
                 if len(got) == len(ref) + 1]
        error = f"max {max(diffs):.2e} / mean {statistics.mean(diffs):.2e}" if diffs else "tokenization differs"
        latency = f"{statistics.median(run['selectionMs']):.0f} ms ({run['selectionTokens']} tok)"
        rows.append((f"onnxruntime-node {name}", tps, tps / torch_tps, run["peakRssMb"], error, latency))

    print(f"\nSmolLM2-135M, {len(texts)} texts x {args.length} tokens, {args.threads} threads"
          f" (export: {', '.join(f'{k} {v:.0f} s' for k, v in export_s.items()) or 'reused'})")
    print(f"{'engine':<24} {'tokens/s':>9} {'vs torch':>9} {'peak RSS':>9}  {'|Δ logprob| vs torch':<28} 200-token selection")
    for name, tps, ratio, rss, error, latency in rows:
        print(f"{name:<24} {tps:>9.0f} {ratio:>8.2f}x {rss:>7.0f} MB  {error:<28} {latency}")
    print(f"tokenizer parity (@huggingface/tokenizers vs Python): {same}/{len(corpus)} texts identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
