"""Writing one evaluation's files, `<run>/evals/<eval-id>/` (docs/run-format.md, "evals/").

Names, columns and schemas come from rlstudio.runformat (EvalPaths, eval_schema, ...); this module
writes them: eval.json and events.jsonl (EvalWriter), prompts.jsonl, the sample and score files
(atomic, zstd, in row groups of 16 as runformat.shard_bytes writes them: the eval reader finds a
prompt's rows by the row groups' statistics), and summary.json (summarize).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from rlstudio import runformat
from rlstudio.evals.passk import mean_pass_at_k
from rlstudio.runfiles import TERMINAL_STATUSES, QueuedEvents, atomic_write_bytes, utc_now
from rlstudio.runformat import EvalPaths, read_jsonl


def new_eval_id(name: str) -> str:
    return runformat.eval_id(name, dt.datetime.now().strftime("%Y%m%d-%H%M%S"))


def write_table(path: Path, rows: list[dict[str, Any]], schema: pa.Schema, statistics: tuple[str, ...]) -> None:
    table = pa.Table.from_pylist(rows, schema=schema)
    atomic_write_bytes(path, runformat.shard_bytes(table, statistics))


def write_samples(eval_dir: Path, checkpoint: str, rows: list[dict[str, Any]], reward_names: list[str],
                  metadata: dict[str, str]) -> Path:
    path = EvalPaths(eval_dir).samples(checkpoint)
    write_table(path, [runformat.eval_row(row) for row in rows], runformat.eval_schema(reward_names, metadata),
                runformat.EVAL_STATISTICS_COLUMNS)
    return path


def write_scores(eval_dir: Path, checkpoint: str, by: str, rows: list[dict[str, Any]],
                 metadata: dict[str, str]) -> Path:
    path = EvalPaths(eval_dir).scores(checkpoint, by)
    write_table(path, rows, runformat.eval_scores_schema(metadata), ("prompt_id", "sample_index"))
    return path


def write_prompts(eval_dir: Path, lines: list[dict[str, Any]]) -> None:
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    atomic_write_bytes(EvalPaths(eval_dir).prompts, text.encode("utf-8"))


def read_prompts(eval_dir: Path) -> list[dict[str, Any]]:
    return read_jsonl(EvalPaths(eval_dir).prompts)


class EvalWriter(QueuedEvents):
    """eval.json and events.jsonl of one eval directory (duck-types RunWriter for Control).

    Events may come from a signal handler, which runs in the main thread between two bytecodes,
    possibly while that thread holds the lock: an event is queued, and written by whoever holds
    the lock next, never waited for (waiting there would deadlock the process on SIGTERM).
    """

    def __init__(self, eval_dir: Path, manifest: dict[str, Any]):
        self.dir = Path(eval_dir)
        self.paths = EvalPaths(eval_dir)
        self.paths.control.mkdir(parents=True, exist_ok=True)
        self.manifest = manifest
        self._lock = threading.Lock()
        self._pending: deque[str] = deque()
        self._last_progress = 0.0
        self._events = open(self.paths.events, "a", encoding="utf-8")  # noqa: SIM115 (lives with the eval)

    @classmethod
    def create(cls, eval_dir: Path, eval_id: str, name: str, **fields: Any) -> EvalWriter:
        now = utc_now()
        manifest = {"format": runformat.EVAL_FORMAT, "id": eval_id, "name": name, "createdAt": now, "updatedAt": now,
                    "status": "running", "endedAt": None, "error": None, "pid": os.getpid(),
                    "host": socket.gethostname(), **fields}
        writer = cls(eval_dir, manifest)
        writer.write_manifest()
        writer.event("status", status="running")
        return writer

    def write_manifest(self, **updates: Any) -> None:
        with self._lock:
            self.manifest.update(updates)
            self.manifest["updatedAt"] = utc_now()
            atomic_write_bytes(self.paths.manifest, json.dumps(self.manifest, indent=2, default=str).encode("utf-8"))
            self._drain()

    def set_status(self, status: str, error: dict[str, str] | None = None) -> None:
        updates: dict[str, Any] = {"status": status}
        if status in TERMINAL_STATUSES:
            updates.update(endedAt=utc_now(), error=error)
        self.write_manifest(**updates)
        self.event("status", status=status)
        if error is not None:
            self.event("error", error=error)

    def checkpoint(self, name: str, throttle_s: float = 0.0, **fields: Any) -> None:
        """Update one entry of `checkpoints` (progress updates at most every `throttle_s` seconds)."""
        now = time.monotonic()
        if throttle_s and now - self._last_progress < throttle_s:
            entry = next(c for c in self.manifest["checkpoints"] if c["name"] == name)
            entry.update(fields)  # kept for the next write
            return
        self._last_progress = now
        entries = [dict(c, **fields) if c["name"] == name else c for c in self.manifest["checkpoints"]]
        self.write_manifest(checkpoints=entries)

    event = QueuedEvents.signal_event  # every event is queued: none waits for the lock

    def _drain(self) -> None:
        """Write the queued events (with the lock held)."""
        while self._pending:
            self._events.write(self._pending.popleft() + "\n")
        self._events.flush()

    def close(self) -> None:
        with self._lock:
            self._drain()
            self._events.close()


# --- summary.json ---------------------------------------------------------------------------


def summarize(eval_dir: Path, checkpoints: list[str], k: list[int], reward_names: list[str]) -> dict[str, Any]:
    """summary.json from the sample files of the given (finished) checkpoints."""
    per_checkpoint: dict[str, Any] = {}
    per_prompt: dict[int, dict[str, dict[str, int]]] = {}
    for name in checkpoints:
        table = pq.read_table(EvalPaths(eval_dir).samples(name),
                              columns=["prompt_id", "correct", "rewards", "token_ids", "entropies", "truncated",
                                       "reward_error"])
        prompt_ids = table["prompt_id"].to_pylist()
        correct = table["correct"].to_pylist()
        counts: dict[int, list[int]] = {}
        for pid, ok in zip(prompt_ids, correct, strict=True):
            n_c = counts.setdefault(pid, [0, 0])
            n_c[0] += 1
            n_c[1] += int(bool(ok))
        for pid, (n, c) in counts.items():
            entry = per_prompt.setdefault(pid, {"correct": {}, "n": {}})
            entry["correct"][name], entry["n"][name] = c, n
        n_values = sorted({n for n, _ in counts.values()})
        lengths = pc.list_value_length(table["token_ids"])
        tokens = pc.list_flatten(table["entropies"])
        rewards = table["rewards"].combine_chunks()
        per_checkpoint[name] = {
            "n": min(n_values),
            "prompts": len(counts),
            "passAtK": {str(kk): mean_pass_at_k(counts.values(), kk) for kk in k if kk <= min(n_values)},
            "meanReward": {r: pc.mean(rewards.field(r)).as_py() for r in reward_names},
            "meanLength": pc.mean(lengths).as_py(),
            "meanEntropy": pc.mean(tokens).as_py() if len(tokens) else None,
            "truncationRate": pc.mean(table["truncated"].cast(pa.float64())).as_py(),
            "rewardErrors": len(table) - table["reward_error"].null_count,
        }
    prompts = [{"prompt_id": pid, **per_prompt[pid]} for pid in sorted(per_prompt)]
    return {"format": runformat.EVAL_SUMMARY_FORMAT, "k": k, "checkpoints": per_checkpoint, "prompts": prompts}


def write_summary(eval_dir: Path, summary: dict[str, Any]) -> None:
    atomic_write_bytes(EvalPaths(eval_dir).summary, json.dumps(summary, indent=2).encode("utf-8"))
