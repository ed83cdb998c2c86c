"""Write a large run directory with the trainer's own writers, for bench/rollout_open.ts.

    .venv/bin/python bench/make_big_run.py [OUT] [--steps 1000 --prompts 125 --group 8 --workers 2]

Defaults: 1,000 steps × 125 prompts × 8 completions = 1,000,000 rollouts (OUT defaults to a new
folder under the system temp folder; the path is printed last). Shards are written by
`rlstudio.rollouts.write_shard` (what RecordingGRPOTrainer calls: its schema, zstd, one row group
in pages of 16 rows with a page index, statistics of the scalar columns, a line of
rollouts/prompts.jsonl per shard; `--layout groups` writes the row groups of 16 that shards had
before, to measure runs recorded then) and run.json / events.jsonl / metrics.jsonl by `rlstudio.runfiles.RunWriter`, so the files
have the layout training gives them; only the values are made up:

- prompts: 7,473 GSM8K-sized math problems in a Qwen chat template, drawn epoch by epoch without
  replacement (one prompt recurs every ~60 steps, ~16 times in the run, for "follow prompt");
- completion lengths: log-normal, median 150 tokens, plus 0.5% long ones of 2,000 tokens up to
  max_completion_length 8,192 (those reaching it are truncated): ~205 tokens on average, 205 M in
  all, 3.6 GB of shards. Per-token log-probabilities and entropies are float32 values that hardly
  compress (~19 bytes per token in all), so a median of 300 tokens would take ~7 GB; 150 keeps
  the run within a few GB with the same shard structure (1,000 rows, 63 pages per column);
- tokens: Zipf-distributed ids over a 151,646-id vocabulary with made-up pieces; entropies mostly
  near 0 with a heavy tail, log-probabilities that follow them, the forking mask of
  top_entropy_quantile 0.2 per micro-batch of 8 rows; two reward functions whose accuracy rises.

Takes ~7 minutes on 2 cores. Delete the folder when done with it.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rlstudio import runformat
from rlstudio.config import parse_config
from rlstudio.rollouts import write_shard
from rlstudio.runfiles import RunWriter

VOCAB = 151_646
PROBLEMS = 7_473
MAX_COMPLETION = 8_192
MEDIAN_LENGTH = 150  # tokens; log-normal, sigma 0.6
LONG_SHARE = 0.005  # of completions, 2,000 tokens up to the limit
MICRO_BATCH = 8
TOP_ENTROPY_QUANTILE = 0.2
REWARDS = ["accuracy", "format"]
CONFIG = """\
name: big-bench
seed: 0
model: {{name: Qwen/Qwen2.5-1.5B-Instruct, dtype: bfloat16}}
data: {{path: gsm8k.jsonl, template: "{{question}}", system_prompt: "Please reason step by step, and put your final answer within \\\\boxed{{}}."}}
rewards:
  - {{name: accuracy, ref: rewards.py:accuracy}}
  - {{name: format, ref: rewards.py:boxed_format, weight: 0.5}}
algorithm:
  num_generations: {group}
  per_device_train_batch_size: {micro_batch}
  max_completion_length: {max_completion}
  top_entropy_quantile: {quantile}
  max_steps: {steps}
  loss_type: dapo
  epsilon_high: 0.28
recording: {{enabled: true}}
"""


# --- synthetic text --------------------------------------------------------------------------

SYLLABLES = ["the", "an", "is", "of", "to", "in", "re", "ing", "er", "ed", "on", "at", "es", "st", "en", "and",
             "ti", "or", "al", "ar", "le", "se", "ve", "co", "de", "ra", "ro", "li", "ri", "ne", "ma", "lo"]
SPECIAL = ["\n", "\n\n", ".", ",", " =", " +", " -", " *", " /", "\\boxed{", "}", " $", "$", ":", " (", ")"]
NAMES = ["Natalia", "Weng", "Betty", "Julie", "James", "Albert", "Ken", "Alexis", "Tina", "Mark"]
ITEMS = ["clips", "apples", "books", "pages", "marbles", "cookies", "stickers", "dollars", "eggs", "tickets"]


def vocabulary() -> list[str]:
    """A piece per token id: words with and without a leading space, digits, punctuation."""
    rng = np.random.default_rng(1)
    pieces = []
    for i in range(VOCAB):
        if i < len(SPECIAL):
            pieces.append(SPECIAL[i])
        elif i < len(SPECIAL) + 1000:
            pieces.append(str(i - len(SPECIAL)))
        else:
            word = "".join(SYLLABLES[j] for j in rng.integers(0, len(SYLLABLES), int(rng.integers(1, 4))))
            pieces.append((" " if rng.random() < 0.6 else "") + (word.capitalize() if rng.random() < 0.1 else word))
    pieces[VOCAB - 1] = "<|im_end|>"
    return pieces


def problem(index: int) -> str:
    rng = np.random.default_rng(10_000 + index)
    name, item = NAMES[index % len(NAMES)], ITEMS[(index // len(NAMES)) % len(ITEMS)]
    a, b, c = (int(x) for x in rng.integers(2, 120, 3))
    question = (f"{name} had {a} {item} in April. In May {name} got {b} more {item} than in April, and then gave away "
                f"{c} of them to friends. Each of the {item} costs ${int(rng.integers(1, 9))}. How many {item} does "
                f"{name} have at the end of May, and what are they worth? (Problem {index})")
    return ("<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n"
            f"<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n")


def prompt_order(steps: int, prompts: int) -> np.ndarray:
    """The problem index of each (step, prompt): epochs of a fixed dataset, each shuffled."""
    rng = np.random.default_rng(2)
    epochs = math.ceil(steps * prompts / PROBLEMS)
    return np.concatenate([rng.permutation(PROBLEMS) for _ in range(epochs)])[: steps * prompts].reshape(steps, prompts)


# --- one step ----------------------------------------------------------------------------------

_vocab: list[str] = []
_ranked: np.ndarray = np.empty(0)


def _init_worker() -> None:
    global _vocab, _ranked
    _vocab = vocabulary()
    _ranked = np.random.default_rng(3).permutation(VOCAB - 1)  # token id of the k-th most frequent piece


def make_step(job: tuple[Path, int, int, int, list[int], str]) -> tuple[dict[str, float], int]:
    """Write one step's shard; return the numbers its metrics line reports and its token count."""
    rollouts_dir, step, steps, group, problems, layout = job
    rng = np.random.default_rng(1_000_000 + step)
    progress = step / steps
    rows, lengths, rewards, accuracies, formats, truncated, entropy_sums = [], [], [], [], [], [], []
    for p, problem_index in enumerate(problems):
        prompt = problem(problem_index)
        accuracy = (rng.random(group) < 0.15 + 0.6 * progress).astype(float)
        fmt = np.where(rng.random(group) < 0.5 + 0.45 * progress, 1.0, 0.0)
        total = accuracy + 0.5 * fmt
        advantage = (total - total.mean()) / (total.std() + 1e-4)
        for g in range(group):
            if rng.random() < LONG_SHARE:
                n = int(rng.integers(2_000, MAX_COMPLETION + 1_000))
            else:
                n = int(np.clip(rng.lognormal(math.log(MEDIAN_LENGTH), 0.6), 8, MAX_COMPLETION))
            n = min(n, MAX_COMPLETION)
            cut = n == MAX_COMPLETION
            ranks = np.minimum(rng.zipf(1.15, n) - 1, VOCAB - 2)
            ids = _ranked[ranks].astype(np.int32)
            if not cut:
                ids[-1] = VOCAB - 1  # <|im_end|>
            low = rng.exponential(0.12, n)
            entropies = np.where(rng.random(n) < 0.2, rng.gamma(2.0, 0.9, n), low).astype(np.float32)
            logprobs = (-entropies * rng.uniform(0.1, 1.3, n) - rng.exponential(0.02, n)).astype(np.float32)
            tokens = [_vocab[i] for i in ids.tolist()]
            failed = rng.random() < 0.001
            rows.append({
                "step": step,
                "prompt_index": p,
                "group_index": g,
                "prompt": prompt,
                "completion": "".join(tokens),
                "token_ids": ids.tolist(),
                "tokens": tokens,
                "logprobs": logprobs.tolist(),
                "entropies": entropies,  # the loss mask is filled in per micro-batch below
                "advantage": float(advantage[g]),
                "reward": None if failed else float(total[g]),
                "rewards": {"accuracy": None if failed else float(accuracy[g]), "format": None if failed else float(fmt[g])},
                "truncated": cut,
                "hint_ids": [],
                "reward_error": "accuracy: ValueError: could not parse the boxed answer" if failed else None,
                "extras": {"answer": str(problem_index % 97)},
            })
            lengths.append(n)
            rewards.append(total[g])
            accuracies.append(accuracy[g])
            formats.append(fmt[g])
            truncated.append(cut)
            entropy_sums.append(float(entropies.sum()))
    for start in range(0, len(rows), MICRO_BATCH):  # TRL's forking mask: a quantile per micro-batch
        batch = rows[start : start + MICRO_BATCH]
        threshold = float(np.quantile(np.concatenate([r["entropies"] for r in batch]), 1 - TOP_ENTROPY_QUANTILE))
        for r in batch:
            selected = r["entropies"] >= threshold
            r["loss_mask"] = selected.astype(np.int8).tolist()
            r["entropy_threshold"] = float(r["entropies"][selected].min()) if selected.any() else None
            r["entropies"] = r["entropies"].tolist()
    write_shard(rollouts_dir, step, rows, REWARDS, layout=layout)
    lengths_arr = np.array(lengths)
    return {
        "entropy": sum(entropy_sums) / int(lengths_arr.sum()),
        "reward": float(np.mean(rewards)),
        "reward_std": float(np.std(rewards)),
        "rewards/accuracy/mean": float(np.mean(accuracies)),
        "rewards/format/mean": float(np.mean(formats)),
        "completions/mean_length": float(lengths_arr.mean()),
        "completions/min_length": float(lengths_arr.min()),
        "completions/max_length": float(lengths_arr.max()),
        "completions/clipped_ratio": float(np.mean(truncated)),
    }, int(lengths_arr.sum())


# --- the run -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", help="run directory to create (default: a new temp folder)")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--prompts", type=int, default=125, help="prompts per step (GRPO groups)")
    parser.add_argument("--group", type=int, default=8, help="completions per prompt (num_generations)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--layout", choices=["paged", "groups"], default="paged",
                        help="paged: as the trainer writes shards; groups: row groups of 16 (shards written before)")
    args = parser.parse_args()
    run_dir = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="rlstudio-big-run-")) / "big-run"
    if run_dir.exists() and any(run_dir.iterdir()):
        sys.exit(f"{run_dir} is not empty")
    free = shutil.disk_usage(run_dir.parent if run_dir.parent.exists() else tempfile.gettempdir()).free
    need = args.steps * args.prompts * args.group * 4_000  # ~3.8 kB per rollout, measured
    if free < 2 * need:
        sys.exit(f"needs ~{need / 1e9:.1f} GB and wants twice that free; {free / 1e9:.1f} GB free")

    config = parse_config(CONFIG.format(group=args.group, steps=args.steps, micro_batch=MICRO_BATCH,
                                          max_completion=MAX_COMPLETION, quantile=TOP_ENTROPY_QUANTILE))
    writer = RunWriter.create(run_dir, config.name, config.to_dict(), None,
                              {"rlstudio": "bench", "format": "rlstudio.run/1"}, args.steps, config.model.name)
    writer.set_status("running")
    order = prompt_order(args.steps, args.prompts)
    jobs = [(writer.paths.rollouts, step, args.steps, args.group, order[step - 1].tolist(), args.layout)
            for step in range(1, args.steps + 1)]
    started = time.perf_counter()
    num_tokens = 0
    with multiprocessing.Pool(args.workers, initializer=_init_worker) as pool:
        for step, (numbers, tokens) in enumerate(pool.imap(make_step, jobs), start=1):
            num_tokens += tokens
            path = writer.paths.relative(writer.paths.shard(step))
            writer.event("rollouts", step=step, path=path, rows=args.prompts * args.group)
            writer.event("heartbeat", step=step)
            writer.metrics(step, {"loss": 0.01 * math.sin(step), "grad_norm": 0.3, "learning_rate": 1e-6,
                                  "num_tokens": num_tokens, **numbers})
            if step % 50 == 0:
                print(f"step {step}/{args.steps}  {time.perf_counter() - started:.0f} s", file=sys.stderr)
    writer.set_status("completed")
    writer.close()
    size = sum(path.stat().st_size for _, path in runformat.shards(writer.paths.rollouts))
    print(f"{args.steps * args.prompts * args.group:,} rollouts, {num_tokens / 1e6:.0f} M tokens, "
          f"{size / 1e9:.2f} GB of shards, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    print(run_dir)


if __name__ == "__main__":
    main()
