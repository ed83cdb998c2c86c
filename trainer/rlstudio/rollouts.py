"""Rollout shards: rollouts/step-XXXXXXXX.parquet, one row per completion (run format v1).

Written atomically (temp file + rename), zstd, row groups of 16 rows so that a reader can fetch
one rollout's token arrays without decompressing the whole shard. Column statistics only for the
scalar columns: min/max of the prompt and completion texts would be most of the footer, which a
reader parses before it reads anything.

Each shard written also appends a line to the run's prompt index, rollouts/prompts.jsonl (the
distinct prompts of the step, hashed), so that a reader can follow a prompt across steps without
opening every shard.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from rlstudio import FORMAT
from rlstudio.runfiles import atomic_write_bytes

ROW_GROUP_SIZE = 16
STATISTICS_COLUMNS = ["step", "prompt_index", "group_index", "advantage", "reward", "truncated", "entropy_threshold"]
PROMPT_INDEX = "prompts.jsonl"
# Shard kinds: "rollouts" (GRPO, RLOO: one row per sampled completion) and "preference" (the DPO
# family: two rows per pair, chosen then rejected, with the columns below added).
PREFERENCE_COLUMNS = [
    ("role", pa.string()),  # "chosen" | "rejected"
    ("ref_logprobs", pa.list_(pa.float32())),  # per token, under the reference model
    ("implicit_rewards", pa.list_(pa.float32())),  # per token, beta * (logprobs - ref_logprobs)
]


def shard_name(step: int) -> str:
    return f"step-{step:08d}.parquet"


def schema(reward_names: list[str], kind: str = "rollouts") -> pa.Schema:
    extra = PREFERENCE_COLUMNS if kind == "preference" else []
    return pa.schema(
        [
            ("step", pa.int64()),
            ("prompt_index", pa.int32()),
            ("group_index", pa.int32()),
            ("prompt", pa.string()),
            ("completion", pa.string()),
            ("token_ids", pa.list_(pa.int32())),
            ("tokens", pa.list_(pa.string())),
            ("logprobs", pa.list_(pa.float32())),
            ("entropies", pa.list_(pa.float32())),
            ("loss_mask", pa.list_(pa.int8())),
            ("advantage", pa.float32()),
            ("reward", pa.float32()),
            ("rewards", pa.struct([(name, pa.float64()) for name in reward_names])),
            ("truncated", pa.bool_()),
            ("hint_ids", pa.list_(pa.string())),
            ("reward_error", pa.string()),
            ("extras", pa.string()),
            ("entropy_threshold", pa.float32()),
            *extra,
        ],
        metadata={"rlstudio.format": FORMAT},
    )


def write_shard(rollouts_dir: Path, step: int, rows: list[dict[str, Any]], reward_names: list[str],
                kind: str = "rollouts") -> Path:
    """Write one step's rows, then its line of the prompt index; return the shard path."""
    table = pa.Table.from_pylist([_normalize(row) for row in rows], schema=schema(reward_names, kind))
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd", row_group_size=ROW_GROUP_SIZE,
                   write_statistics=STATISTICS_COLUMNS)
    data = buffer.getvalue()
    path = Path(rollouts_dir) / shard_name(step)
    atomic_write_bytes(path, data)
    # After the rename: a line never names a shard that is not there yet.
    prompts = dict.fromkeys(prompt_hash(row["prompt"]) for row in rows)
    line = json.dumps({"step": step, "bytes": len(data), "prompts": list(prompts)}) + "\n"
    _append_line(Path(rollouts_dir) / PROMPT_INDEX, line.encode("utf-8"))
    return path


def prompt_hash(prompt: str) -> str:
    """A prompt's key in prompts.jsonl: the first 16 hex digits of the SHA-256 of its UTF-8 text."""
    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()[:16]


def _append_line(path: Path, data: bytes) -> None:
    """Append in one write(2) with O_APPEND: lines of concurrent writers never interleave.

    After a half-written last line (the process was killed mid-write), start a new line.
    """
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size > 0 and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        written = os.write(fd, data)
        if written != len(data):
            raise OSError(f"{path}: wrote {written} of {len(data)} bytes")
    finally:
        os.close(fd)


def _normalize(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out.setdefault("hint_ids", [])
    out.setdefault("reward_error", None)
    extras = out.get("extras") or {}
    out["extras"] = extras if isinstance(extras, str) else json.dumps(extras, default=str)
    out.setdefault("entropy_threshold", None)
    return out


def read_shard(path: Path) -> list[dict[str, Any]]:
    return pq.read_table(path).to_pylist()


def token_pieces(tokenizer, ids: list[int]) -> list[str]:
    """Decoded text of each token, such that "".join(pieces) == the decoded sequence.

    A character split over several byte-level tokens is attributed to the token that completes it
    (the others get ""), so the pieces never contain broken UTF-8.
    """
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        from tokenizers.decoders import DecodeStream

        stream = DecodeStream(skip_special_tokens=False)
        return [stream.step(backend, int(i)) or "" for i in ids]
    pieces, previous = [], ""
    for n in range(1, len(ids) + 1):  # slow tokenizers: prefix differences
        text = tokenizer.decode(ids[:n], skip_special_tokens=False)
        pieces.append(text[len(previous):] if text.startswith(previous) else text)
        previous = text
    return pieces
