"""Writing rollout shards: rollouts/step-XXXXXXXX.parquet, one row per completion (run format v1;
names, columns and the row mapping are rlstudio.runformat's).

Written atomically (temp file + rename), zstd, one row group with data pages of 16 rows and a
page index (runformat.rollout_shard_bytes), so that a reader can fetch one rollout's token arrays
without decompressing the whole shard, after parsing a footer of a few kB (shards written before
had row groups of 16 rows: a footer of ~125 kB for 1,000 rows). Column statistics only for the
scalar columns: min/max of the prompt and completion texts would be most of the footer.

Each shard written also appends a line to the run's prompt index, rollouts/prompts.jsonl (the
distinct prompts of the step, hashed), so that a reader can follow a prompt across steps without
opening every shard.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rlstudio import runformat
from rlstudio.runfiles import atomic_write_bytes


def write_shard(rollouts_dir: Path, step: int, rows: list[dict[str, Any]], reward_names: list[str],
                kind: str = runformat.ROLLOUTS_KIND, *, layout: str = "paged") -> Path:
    """Write one step's rows, then its line of the prompt index; return the shard path. `layout`
    "groups" writes the row groups of 16 that shards had before pages (to measure or test runs
    recorded then)."""
    if layout not in ("paged", "groups"):
        raise ValueError(f"layout must be 'paged' or 'groups', not {layout!r}")
    table = runformat.shard_table(rows, reward_names, kind)
    data = runformat.shard_bytes(table) if layout == "groups" else runformat.rollout_shard_bytes(table)
    path = Path(rollouts_dir) / runformat.shard_name(step)
    atomic_write_bytes(path, data)
    # After the rename: a line never names a shard that is not there yet.
    line = runformat.prompt_index_line(step, len(data), [row["prompt"] for row in rows])
    _append_line(Path(rollouts_dir) / runformat.PROMPT_INDEX, line.encode("utf-8"))
    return path


def _append_line(path: Path, data: bytes) -> None:
    """Append in one write(2) with O_APPEND: lines of concurrent writers never interleave.

    After a half-written last line (the process was killed mid-write), start a new line.
    """
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)  # less the umask
    try:
        size = os.fstat(fd).st_size
        if size > 0 and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        written = os.write(fd, data)
        if written != len(data):
            raise OSError(f"{path}: wrote {written} of {len(data)} bytes")
    finally:
        os.close(fd)


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
