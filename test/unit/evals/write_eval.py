"""Write an evaluation folder, <run>/evals/<eval-id>/, as `rlstudio eval` does (docs/run-format.md,
"Evaluations"), with deterministic values, for the TypeScript reader's tests, the webview tests and
the panel-load benchmark. Sample files use the trainer's rollout shard schema (rlstudio.runformat.shard_schema)
plus the eval columns, zstd, row groups of rlstudio.runformat.ROW_GROUP_SIZE, written atomically.

    .venv/bin/python test/unit/evals/write_eval.py RUN_DIR EVAL_ID --prompts 6 --samples 4 \
        --checkpoints base,checkpoint-3 [--tokens 8] [--cross] [--status completed]

Which samples are correct (is_correct): checkpoint 0 (base) solves ~27 % of samples spread over most
prompts; checkpoint 1 solves more, but not every prompt the base solved; checkpoints 2+ are "sharpened":
nearly every sample of every third prompt and nothing else (higher pass@1, lower pass@k: the base
overtakes them at some k). Tokens as test/unit/webviews/make_shard.py makes them.
"""

import argparse
import io
import json
import math
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from rlstudio import runformat
from rlstudio.runfiles import atomic_write_bytes

PIECES = ["The", " answer", " is", " 4", "2", ".", "\n", "<b>", " x", "é", " ok"]
REWARDS = ["exact_answer", "format"]
ROLLOUT_ONLY = {"step", "prompt_index", "group_index", "loss_mask", "advantage", "hint_ids", "extras", "entropy_threshold",
                *runformat.SUMMARY_COLUMNS}


def sample_schema() -> pa.Schema:
    base = runformat.shard_schema(REWARDS)
    fields = [f for f in base if f.name not in ROLLOUT_ONLY]
    fields += [pa.field("prompt_id", pa.int32()), pa.field("sample_index", pa.int32()), pa.field("correct", pa.bool_())]
    return pa.schema(fields, metadata={"rlstudio.format": "rlstudio.eval/1"})


def is_correct(p: int, s: int, j: int) -> bool:
    if j == 0:
        return (p * 7 + s * 3) % 11 < 3
    if j == 1:
        return (p * 7 + s * 3 + 5) % 11 < 5 - p % 4
    return p % 3 == 0 and (s + p) % 7 != 6


def token_value(p: int, s: int, j: int, i: int) -> tuple[float, float]:
    entropy = round(((p * 7 + s * 3 + i * 5 + j) % 23) / 10.0, 4)
    logprob = -round(((p + s * 2 + i * 3 + j * 4) % 17) / 8.0, 4)
    return entropy, logprob


def prompt_text(p: int) -> str:
    return f"Question {p}: what is {p} + 42? <script>alert({p})</script>"


def sample_rows(args, j: int) -> list[dict]:
    rows = []
    for p in range(args.prompts):
        for s in range(args.samples):
            n = args.tokens + (s % 3)
            pieces = [PIECES[(p + s + i + j) % len(PIECES)] for i in range(n)]
            ent, lp = zip(*(token_value(p, s, j, i) for i in range(n)))
            correct = is_correct(p, s, j)
            error = "format: ValueError: bad output" if (p + s + j) % 13 == 5 else None
            rows.append({
                "prompt": f"<|user|>{prompt_text(p)}<|assistant|>",
                "completion": "".join(pieces),
                "token_ids": [1000 + (p + s + i + j) % len(PIECES) for i in range(n)],
                "tokens": pieces,
                "logprobs": list(lp),
                "entropies": list(ent),
                "reward": 1.0 if correct else 0.0,
                "rewards": {"exact_answer": 1.0 if correct else 0.0, "format": None if error else 0.5},
                "truncated": s == args.samples - 1,
                "reward_error": error,
                "prompt_id": p,
                "sample_index": s,
                "correct": correct and error is None,
            })
    return rows


STATISTICS = ["prompt_id", "sample_index"]


def write_parquet(path: Path, rows: list[dict], schema: pa.Schema) -> None:
    table = pa.Table.from_pylist(rows, schema=schema)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd", row_group_size=runformat.ROW_GROUP_SIZE, write_statistics=STATISTICS)
    atomic_write_bytes(path, buffer.getvalue())


def pass_at_k(n: int, c: int, k: int) -> float:
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)  # the closed form, independent of the TS product form


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir")
    parser.add_argument("eval_id")
    parser.add_argument("--prompts", type=int, default=6)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--tokens", type=int, default=8)
    parser.add_argument("--checkpoints", default="base,checkpoint-3")
    parser.add_argument("--done", type=int, default=-1, help="checkpoints evaluated so far (default: all)")
    parser.add_argument("--cross", action="store_true", help="also score the last checkpoint's samples by the first")
    parser.add_argument("--status", default="completed")
    parser.add_argument("--no-statistics", action="store_true", help="no column statistics (readers must find prompts without them)")
    args = parser.parse_args()
    if args.no_statistics:
        STATISTICS.clear()

    names = args.checkpoints.split(",")
    done = len(names) if args.done < 0 else args.done
    out = Path(args.run_dir) / "evals" / args.eval_id
    out.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps({"prompt_id": p, "prompt": prompt_text(p), "answer": str(p + 42)}) + "\n" for p in range(args.prompts))
    atomic_write_bytes(out / "prompts.jsonl", lines.encode())

    ks = [k for k in (1, 2, 4, 8, 16, 32, 64, 128, 256) if k <= args.samples]
    summary = {"format": "rlstudio.eval-summary/1", "k": ks, "checkpoints": {}, "prompts": []}
    counts = {p: {"prompt_id": p, "correct": {}, "n": {}} for p in range(args.prompts)}
    for j, name in enumerate(names[:done]):
        rows = sample_rows(args, j)
        write_parquet(out / f"{name}.parquet", rows, sample_schema())
        per_prompt = [sum(r["correct"] for r in rows if r["prompt_id"] == p) for p in range(args.prompts)]
        for p, c in enumerate(per_prompt):
            counts[p]["correct"][name] = c
            counts[p]["n"][name] = args.samples
        summary["checkpoints"][name] = {
            "n": args.samples, "prompts": args.prompts,
            "passAtK": {str(k): sum(pass_at_k(args.samples, c, k) for c in per_prompt) / args.prompts for k in ks},
            "meanReward": {r: sum((row["rewards"][r] or 0.0) for row in rows) / len(rows) for r in REWARDS},
            "meanLength": sum(len(r["tokens"]) for r in rows) / len(rows),
            "meanEntropy": sum(sum(r["entropies"]) / len(r["entropies"]) for r in rows) / len(rows),
            "truncationRate": sum(r["truncated"] for r in rows) / len(rows),
            "rewardErrors": sum(r["reward_error"] is not None for r in rows),
            "futureField": {"ignored": True},
        }
    summary["prompts"] = list(counts.values())
    if done > 0:
        atomic_write_bytes(out / "summary.json", json.dumps(summary).encode())
    if args.cross and done >= 2:
        scored = [
            {"prompt_id": r["prompt_id"], "sample_index": r["sample_index"], "token_ids": r["token_ids"],
             "logprobs": [v - 0.5 + 0.25 * (i % 5) for i, v in enumerate(r["logprobs"])], "entropies": r["entropies"]}
            for r in sample_rows(args, done - 1)
        ]
        cross_schema = pa.schema([("prompt_id", pa.int32()), ("sample_index", pa.int32()), ("token_ids", pa.list_(pa.int32())),
                                  ("logprobs", pa.list_(pa.float32())), ("entropies", pa.list_(pa.float32()))])
        write_parquet(out / f"{names[done - 1]}.scored-by-{names[0]}.parquet", scored, cross_schema)

    manifest = {
        "format": "rlstudio.eval/1", "id": args.eval_id, "name": args.eval_id.split("-", 2)[-1],
        "createdAt": "2026-11-29T22:00:00.000Z", "updatedAt": "2026-11-29T22:01:00.000Z",
        "status": args.status, "endedAt": None if args.status == "running" else "2026-11-29T22:01:00.000Z",
        "error": None, "pid": 0, "host": "test",
        "params": {"samples": args.samples, "temperature": 1.0, "maxNewTokens": 32, "seed": 0, "prompts": args.prompts, "k": ks},
        "promptSource": {"kind": "split", "fraction": 0.1, "detail": "10% of the training data (held out)"},
        "passWhen": {"reward": "exact_answer", "atLeast": 1.0, "chosenBy": "default"},
        "rewardNames": REWARDS,
        "checkpoints": [
            {"name": n, "status": "done" if i < done else ("running" if i == done and args.status == "running" else "pending"),
             "samplesDone": args.prompts * args.samples if i < done else 0, "samplesTotal": args.prompts * args.samples, "error": None}
            for i, n in enumerate(names)
        ],
        "versions": {"rlstudio": "0.1.0"},
        "someNewField": 1,
    }
    atomic_write_bytes(out / "eval.json", json.dumps(manifest).encode())


if __name__ == "__main__":
    main()
