"""Write a rollout shard with the exact run-format v1 columns, for the reader's tests and the benchmarks.

    .venv/bin/python test/unit/webviews/make_shard.py OUT.parquet --step 42 --prompts 4 --group 4 --tokens 12

Values are deterministic functions of (prompt, completion, position) so tests can assert exact numbers.
The real trainer writes these files in production; this stands in only where no run exists yet.
"""

import argparse
import json
from pathlib import Path

import pyarrow as pa

# The trainer's own run format: one definition of the columns and row mapping for writer and readers.
from rlstudio import runformat
from rlstudio.runfiles import atomic_write_bytes

PIECES = [
    "The",
    " answer",
    " is",
    " 4",
    "2",
    ".",
    "\n",
    "<think>",
    " x",
    "\t",
    "é",
    " ok",
]


def token_value(p: int, g: int, i: int) -> tuple[float, float]:
    """(entropy, logprob) of token i of completion g of prompt p."""
    entropy = round(((p * 7 + g * 3 + i * 5) % 23) / 10.0, 4)
    logprob = -round(((p + g * 2 + i * 3) % 17) / 8.0, 4)
    return entropy, logprob


def build(
    step: int, prompts: int, group: int, tokens: int, threshold: float | None
) -> pa.Table:
    rows = []
    for p in range(prompts):
        for g in range(group):
            n = tokens + g  # completions differ in length
            pieces = [PIECES[(p + g + i) % len(PIECES)] for i in range(n)]
            ent, lp = zip(*(token_value(p, g, i) for i in range(n)))
            mask = [1 if threshold is None or e >= threshold else 0 for e in ent]
            reward = float((p + g) % 3) / 2.0
            rows.append(
                {
                    "step": step,
                    "prompt_index": p,
                    "group_index": g,
                    "prompt": f"<|user|>Question {p}: what is 6 x 7?<|assistant|>",
                    "completion": "".join(pieces),
                    "token_ids": [1000 + (p + g + i) % len(PIECES) for i in range(n)],
                    "tokens": pieces,
                    "logprobs": list(lp),
                    "entropies": list(ent),
                    "loss_mask": mask,
                    "advantage": round((g - (group - 1) / 2) / 2, 4),
                    "reward": reward,
                    "rewards": {"accuracy": reward, "format": None if g == 1 else 0.5},
                    "truncated": g == group - 1,
                    "hint_ids": [f"kp{p}"] if p % 2 == 0 else [],
                    "reward_error": "ValueError: bad format" if g == 1 else None,
                    "extras": json.dumps({"p": p}),
                    "entropy_threshold": threshold,
                }
            )
    return runformat.shard_table(rows, ["accuracy", "format"])


def with_summaries(table: pa.Table, summaries: str) -> pa.Table:
    """`computed`: as the trainer writes them; `absent`: a shard written before they existed;
    `marked`: values that differ from what the other columns give, so a test can tell which it read."""
    if summaries == "absent":
        return table.drop_columns(list(runformat.SUMMARY_COLUMNS))
    if summaries == "marked":
        n = table.num_rows
        for name, values in (
            ("completion_tokens", pa.array([1000 + i for i in range(n)], pa.int32())),
            ("mean_entropy", pa.array([9.5] * n, pa.float32())),
            ("preview", pa.array([f"preview {i}" for i in range(n)], pa.string())),
        ):
            table = table.set_column(table.schema.get_field_index(name), name, values)
    return table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--step", type=int, default=42)
    parser.add_argument("--prompts", type=int, default=4)
    parser.add_argument("--group", type=int, default=4)
    parser.add_argument("--tokens", type=int, default=12)
    parser.add_argument(
        "--threshold",
        type=float,
        default=1.2,
        help="negative: none (top_entropy_quantile == 1)",
    )
    parser.add_argument("--summaries", choices=["computed", "absent", "marked"], default="computed")
    parser.add_argument("--replay-columns", choices=["present", "absent"], default="present",
                        help="absent: a shard written before rollout replay (no replayed/age columns)")
    parser.add_argument("--layout", choices=["groups", "paged"], default="groups",
                        help="groups: row groups of 16 (shards written before pages); paged: as the trainer writes now")
    args = parser.parse_args()
    threshold = None if args.threshold < 0 else args.threshold
    table = with_summaries(build(args.step, args.prompts, args.group, args.tokens, threshold), args.summaries)
    if args.replay_columns == "absent":
        table = table.drop_columns(["replayed", "age"])
    if args.layout == "paged":
        atomic_write_bytes(Path(args.out), runformat.rollout_shard_bytes(table))
    else:
        # Statistics of every column, as shards written before STATISTICS_COLUMNS had: the reader's
        # tests of its footer path (test/unit/runs/rolloutCaches.test.ts) read the prompt's min/max.
        atomic_write_bytes(Path(args.out), runformat.shard_bytes(table, statistics=True))


if __name__ == "__main__":
    main()
