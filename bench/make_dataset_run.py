"""Write a 10,000-line dataset and a 1,000-step run that trained on it, for bench/inline.ts.

    .venv/bin/python bench/make_dataset_run.py [OUT] [--lines 10000 --steps 1000 --prompts 125 --group 8]

OUT (default: a new temp folder) gets `dataset.jsonl` ({"question", "answer"} per line) and the run
folder `run/`, written with the trainer's own writers (`rlstudio.rollouts.write_shard`: shards in
row groups of 16 and a line of rollouts/prompts.jsonl per shard; `RunWriter`: run.json with the
config, events, metrics). Each step samples `--prompts` dataset lines (epoch by epoch, shuffled)
wrapped in a Qwen chat template as the trainer's `prompt` column holds them, `--group` completions
each; completions are short (24 tokens), since the annotations read only the score columns. The
correctness reward `accuracy` (exact_answer) rises over the run. The last line printed is OUT.
Takes about a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rlstudio.config import parse_config
from rlstudio.rollouts import write_shard
from rlstudio.runfiles import RunWriter

TEMPLATE = "{question} Put the answer after ####."
SYSTEM = "You are a careful calculator."
CONFIG = """\
name: dataset-bench
seed: 0
model: {{name: Qwen/Qwen2.5-0.5B-Instruct}}
data: {{path: {path}, template: "{template}", system_prompt: "{system}"}}
rewards:
  - {{name: accuracy, ref: exact_answer}}
  - {{name: format, ref: format, weight: 0.5}}
algorithm: {{num_generations: {group}, per_device_train_batch_size: 8, max_steps: {steps}}}
recording: {{enabled: true}}
"""
PIECES = [" The", " answer", " is", " ", "####", " 4", "2", ".", "\n", " so", " we", " add", " them", " +", " =", "é"]


def question(i: int) -> tuple[str, str]:
    a, b = 17 + (i * 7919) % 983, 3 + (i * 104729) % 797
    return f"Problem {i}: what is {a} + {b}?", str(a + b)


def chat(text: str) -> str:
    return (f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{text}<|im_end|>\n"
            "<|im_start|>assistant\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?")
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=1_000)
    parser.add_argument("--prompts", type=int, default=125)
    parser.add_argument("--group", type=int, default=8)
    args = parser.parse_args()
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="rlstudio-dataset-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    dataset = out / "dataset.jsonl"
    rows = [question(i) for i in range(args.lines)]
    dataset.write_text("".join(json.dumps({"question": q, "answer": a}) + "\n" for q, a in rows))

    config = parse_config(CONFIG.format(path=dataset, template=TEMPLATE, system=SYSTEM, group=args.group, steps=args.steps))
    writer = RunWriter.create(out / "run", config.name, config.to_dict(), None,
                              {"rlstudio": "bench", "format": "rlstudio.run/1"}, args.steps, config.model.name)
    writer.set_status("running")
    rng = np.random.default_rng(0)
    epochs = math.ceil(args.steps * args.prompts / args.lines)
    order = np.concatenate([rng.permutation(args.lines) for _ in range(epochs)])
    started = time.perf_counter()
    for step in range(1, args.steps + 1):
        chosen = order[(step - 1) * args.prompts: step * args.prompts]
        shard = []
        for p, line in enumerate(chosen.tolist()):
            prompt = chat(TEMPLATE.format(question=rows[line][0]))
            accuracy = (rng.random(args.group) < 0.1 + 0.7 * step / args.steps).astype(float)
            fmt = (rng.random(args.group) < 0.6).astype(float)
            total = accuracy + 0.5 * fmt
            advantage = (total - total.mean()) / (total.std() + 1e-4)
            for g in range(args.group):
                ids = rng.integers(0, len(PIECES), 24)
                tokens = [PIECES[i] for i in ids]
                entropies = rng.gamma(1.0, 0.6, 24).astype(np.float32)
                shard.append({
                    "step": step, "prompt_index": p, "group_index": g, "prompt": prompt,
                    "completion": "".join(tokens), "token_ids": ids.tolist(), "tokens": tokens,
                    "logprobs": (-entropies * 0.7).tolist(), "entropies": entropies.tolist(),
                    "loss_mask": (entropies > 0.8).astype(np.int8).tolist(), "entropy_threshold": 0.8,
                    "advantage": float(advantage[g]), "reward": float(total[g]),
                    "rewards": {"accuracy": float(accuracy[g]), "format": float(fmt[g])},
                    "truncated": False, "hint_ids": [], "reward_error": None, "extras": {},
                })
        write_shard(writer.dir / "rollouts", step, shard, ["accuracy", "format"])
        writer.event("rollouts", step=step, path=f"rollouts/step-{step:08d}.parquet", rows=len(shard))
        writer.metrics(step, {"reward": 0.0})
        if step % 100 == 0:
            print(f"step {step}/{args.steps}  {time.perf_counter() - started:.0f} s", file=sys.stderr)
    writer.set_status("completed")
    writer.close()
    print(out)


if __name__ == "__main__":
    main()
