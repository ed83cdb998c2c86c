"""Recording overhead: the same seed and config with and without rollout recording.

    .venv/bin/python bench/recording_overhead.py [--algorithm grpo|rloo|dpo] [--hidden 64 --layers 2 --steps 8
                                                  --completion 32 --repeats 2]

Trains a randomly initialized Qwen2-architecture model (built locally, rlstudio.testing) with
`rlstudio.train.run`, alternating recording on / off, and prints a table: median step wall time
and CPU time (rlstudio/step_time_s, rlstudio/step_cpu_s of the steps after the first), their
ratios on/off (target ≤ 1.03), and rollout bytes written per completion token. On a machine
shared with other work, trust the CPU-time ratio over the wall-time one.
`--algorithm dpo` trains on generated preference pairs (--batch pairs per step, answers of about
--completion tokens); its "mean length" column is 0 (DPO samples nothing).
A benchmark, not a test: it prints numbers and never fails.
For a ~0.5B-parameter model on a GPU: --hidden 896 --layers 24 --heads 14 --dtype bfloat16
(Qwen2-0.5B's shape, with the test tokenizer's 512-token vocabulary).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

CONFIG = """\
name: bench
seed: 0
model: {{name: ./model, dtype: {dtype}}}
data: {{path: data.jsonl, template: "{{question}}"}}
rewards: [{{name: length, ref: length_penalty, args: {{max_tokens: {completion}}}}}]
algorithm:
  name: {algorithm}
  num_generations: 4
  per_device_train_batch_size: {batch}
  max_completion_length: {completion}
  max_steps: {steps}
  learning_rate: {lr}
{grpo_only}recording: {{enabled: {recording}}}
checkpoints: {{every_n_steps: 100000}}
"""
# DPO: `batch` pairs per step from prefs.jsonl, answers of about `completion` tokens.
DPO_CONFIG = """\
name: bench
seed: 0
model: {{name: ./model, dtype: {dtype}}}
data: {{path: prefs.jsonl}}
algorithm: {{name: dpo, per_device_train_batch_size: {batch}, max_steps: {steps}, learning_rate: {lr}}}
recording: {{enabled: {recording}}}
checkpoints: {{every_n_steps: 100000}}
"""


def write_data(workspace: Path, completion: int) -> None:
    rows = [{"question": f"Count from {i} to {i + 9}, separated by spaces."} for i in range(64)]
    (workspace / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    words = completion // 2  # the test tokenizer spends about two tokens per number and space
    pairs = [{"prompt": f"Count from {i} to {i + words}.", "chosen": " ".join(str(i + k) for k in range(words)),
              "rejected": " ".join(str(i + 2 * k) for k in range(words))} for i in range(256)]
    (workspace / "prefs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in pairs))


def one_run(workspace: Path, recording: bool, args, index: int) -> dict:
    from rlstudio import runformat
    from rlstudio.config import load_config
    from rlstudio.train import run

    path = workspace / f"bench-{index}.rlstudio.yaml"
    template = DPO_CONFIG if args.algorithm == "dpo" else CONFIG
    grpo_only = "  top_entropy_quantile: 0.5\n" if args.algorithm == "grpo" else ""
    path.write_text(template.format(lr=args.lr, dtype=args.dtype, completion=args.completion, batch=args.batch,
                                    steps=args.steps, recording=str(recording).lower(), algorithm=args.algorithm,
                                    grpo_only=grpo_only))
    run_dir = workspace / f"run-{index}"
    if run(load_config(path), run_dir) != 0:
        raise SystemExit(f"run {index} failed: see {run_dir}/run.json")
    paths = runformat.RunPaths(run_dir)
    metrics = runformat.read_jsonl(paths.metrics)[1:]  # the first step warms up
    times = [m["values"]["rlstudio/step_time_s"] for m in metrics]
    cpu = [m["values"]["rlstudio/step_cpu_s"] for m in metrics]
    lengths = [m["values"].get("completions/mean_length") or 0.0 for m in metrics]
    shards = [path for _, path in runformat.shards(paths.rollouts)]
    tokens = sum(row["completion_tokens"] for s in shards for row in runformat.read_shard(s, ["completion_tokens"]))
    return {"times": times, "cpu": cpu, "lengths": lengths, "bytes": sum(s.stat().st_size for s in shards), "tokens": tokens}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--algorithm", choices=["grpo", "rloo", "dpo"], default="grpo",
                        help="dpo: --batch pairs per step of answers of about --completion tokens")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--completion", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-4,
                        help="learning rate; a tiny one (1e-12) keeps the policy, and so the completion lengths, the same in both settings")
    parser.add_argument("--dtype", choices=["float32", "bfloat16", "float16"], default="float32",
                        help="weights dtype (bfloat16 on a GPU)")
    args = parser.parse_args()

    from rlstudio.testing import make_tiny_model

    with tempfile.TemporaryDirectory(prefix="rlstudio-bench-") as tmp:
        workspace = Path(tmp)
        make_tiny_model(workspace / "model", hidden_size=args.hidden, num_layers=args.layers, num_heads=args.heads)
        write_data(workspace, args.completion)
        results: dict[bool, list[dict]] = {True: [], False: []}
        index = 0
        for _ in range(args.repeats):
            for recording in (False, True):  # interleaved so that machine load drifts affect both
                results[recording].append(one_run(workspace, recording, args, index))
                index += 1

    def median(recording: bool, key: str) -> float:
        return statistics.median(t for r in results[recording] for t in r[key])

    off, on = median(False, "times"), median(True, "times")
    cpu_off, cpu_on = median(False, "cpu"), median(True, "cpu")
    recorded = results[True]
    total_bytes = sum(r["bytes"] for r in recorded)
    total_tokens = sum(r["tokens"] for r in recorded)
    print()
    import torch

    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU"
    print(f"{args.algorithm}; model: Qwen2 random, hidden {args.hidden}, layers {args.layers}, {args.dtype}, on {device}; batch {args.batch}, "
          f"completion ≤ {args.completion} tokens, {args.steps} steps × {args.repeats} repeats per setting")
    print(f"{'setting':<16}{'wall s/step':>12}{'ratio':>8}{'CPU s/step':>12}{'ratio':>8}"
          f"{'mean length':>13}{'shard bytes':>13}{'tokens':>8}{'bytes/token':>13}")
    print(f"{'recording off':<16}{off:>12.4f}{1.0:>8.3f}{cpu_off:>12.4f}{1.0:>8.3f}{median(False, 'lengths'):>13.1f}{0:>13}{'-':>8}{'-':>13}")
    print(f"{'recording on':<16}{on:>12.4f}{on / off:>8.3f}{cpu_on:>12.4f}{cpu_on / cpu_off:>8.3f}"
          f"{median(True, 'lengths'):>13.1f}{total_bytes:>13}{total_tokens:>8}{total_bytes / max(total_tokens, 1):>13.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
