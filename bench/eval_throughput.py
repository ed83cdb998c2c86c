"""Eval generation throughput: plain batched `model.generate` vs generation with per-token recording.

    .venv/bin/python bench/eval_throughput.py [--hidden 64 --layers 2 --batch 64 --max-new-tokens 64 --repeats 3]

Builds a randomly initialized Qwen2-architecture model (rlstudio.testing), then alternates, with
the same batch of prompts and the same seed (hence the same sampled tokens):
  plain     model.generate with the eval's sampling config (rlstudio.evals.generate.sampling_config)
  recorded  rlstudio.evals.generate.sample_chunk: the same call plus the recording processor
            (full-vocabulary log-softmax and entropy per step), the transfer to the CPU and the
            per-sample lists — everything `rlstudio eval` adds before scoring rewards.
Prints tokens/s (generated tokens, through EOS) and CPU seconds of each, medians over the repeats,
and the ratio recorded / plain (target ≤ 1.10). A benchmark, not a test: it never fails.
For a ~0.5B-parameter model on a GPU: --hidden 896 --layers 24 --heads 14 --vocab 151936
--dtype bfloat16 (Qwen2-0.5B's shape; --vocab resizes the embeddings, as the recording cost
grows with the vocabulary).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--vocab", type=int, default=None, help="resize the embeddings to this vocabulary")
    parser.add_argument("--batch", type=int, default=64, help="sequences per generate call")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dtype", choices=["float32", "bfloat16", "float16"], default="float32")
    args = parser.parse_args()

    import torch
    from rlstudio.evals.generate import left_padded, sample_chunk, sampling_config
    from rlstudio.testing import make_tiny_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = "cuda" if torch.cuda.is_available() else "cpu"
    with tempfile.TemporaryDirectory(prefix="rlstudio-bench-") as tmp:
        folder = make_tiny_model(Path(tmp) / "model", hidden_size=args.hidden, num_layers=args.layers,
                                 num_heads=args.heads)
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=getattr(torch, args.dtype))
    if args.vocab:
        model.resize_token_embeddings(args.vocab, mean_resizing=False)
    model = model.to(device).eval()
    questions = [f"What is {a} + {b}? Answer in <answer></answer> tags." for a in range(8) for b in range(8)]
    prompts = [tokenizer.apply_chat_template([{"role": "user", "content": questions[i % len(questions)]}],
                                             add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"]
               for i in range(args.batch)]
    config = sampling_config(tokenizer, args.temperature, args.max_new_tokens)

    def plain() -> int:
        ids, mask = left_padded(prompts, tokenizer.pad_token_id, device)
        with torch.no_grad():
            out = model.generate(input_ids=ids, attention_mask=mask, generation_config=config)
        completions = out[:, ids.size(1):].cpu().tolist()
        eos = tokenizer.eos_token_id
        return sum(row.index(eos) + 1 if eos in row else len(row) for row in completions)

    def recorded() -> int:
        rows = sample_chunk(model, tokenizer, prompts, args.temperature, args.max_new_tokens)
        return sum(len(r["token_ids"]) for r in rows)

    def timed(fn) -> tuple[float, float, int]:
        torch.manual_seed(0)
        if device == "cuda":
            torch.cuda.synchronize()
        wall, cpu = time.perf_counter(), time.process_time()
        tokens = fn()
        if device == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - wall, time.process_time() - cpu, tokens

    timed(plain), timed(recorded)  # warm-up
    results: dict[str, list[tuple[float, float, int]]] = {"plain": [], "recorded": []}
    for _ in range(args.repeats):
        results["plain"].append(timed(plain))
        results["recorded"].append(timed(recorded))
    tokens = {name: rows[0][2] for name, rows in results.items()}
    if tokens["plain"] != tokens["recorded"]:
        print(f"warning: the runs generated {tokens} tokens (same seed should give the same samples)", file=sys.stderr)
    wall = {name: statistics.median(r[0] for r in rows) for name, rows in results.items()}
    cpu = {name: statistics.median(r[1] for r in rows) for name, rows in results.items()}
    vocab = model.get_output_embeddings().weight.shape[0]
    print(f"model: Qwen2 random, hidden {args.hidden}, layers {args.layers}, vocab {vocab}, {args.dtype}, on {device}; "
          f"batch {args.batch}, max_new_tokens {args.max_new_tokens}, {tokens['plain']} tokens per call, "
          f"median of {args.repeats}")
    print(f"{'setting':<10}{'wall s':>10}{'tokens/s':>12}{'ratio':>8}{'CPU s':>10}{'ratio':>8}")
    for name in ("plain", "recorded"):
        print(f"{name:<10}{wall[name]:>10.3f}{tokens[name] / wall[name]:>12.0f}{wall[name] / wall['plain']:>8.3f}"
              f"{cpu[name]:>10.3f}{cpu[name] / cpu['plain']:>8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
