"""A full disk as the user should see it: "disk full while writing <file>", a `failed` run.json and
no half-written checkpoint.

Our own writers (runfiles: run.json, events, metrics, shards, checkpoint.json) raise DiskFullError
naming their file. Writes we do not own fail in their own words: torch's checkpoint writer
(`inline_container.cc ... file write failed`), safetensors (`StorageFull`); those are recognised by
their message when the run directory's filesystem is indeed (nearly) full, and named by the newest
file of the run directory, the one being written.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

from rlstudio import runformat
from rlstudio.runformat import RunPaths

NEARLY_FULL_BYTES = 4 << 20
_MESSAGES = ("no space left on device", "storagefull", "file write failed", "inline_container")


class DiskFullError(OSError):
    def __init__(self, path: Path | str):
        super().__init__(errno.ENOSPC, f"disk full while writing {path}")
        self.path = str(path)

    def __str__(self) -> str:
        return self.args[1]


def as_disk_full(exc: BaseException, run_dir: Path) -> DiskFullError | None:
    """The DiskFullError that `exc` is (or was caused by), or None when it is not a full disk."""
    chain, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    for link in chain:
        if isinstance(link, DiskFullError):
            return link
    for link in chain:
        if isinstance(link, OSError) and link.errno == errno.ENOSPC:
            return DiskFullError(link.filename or _newest_file(run_dir))
    text = " ".join(str(link) for link in chain).lower()
    if any(m in text for m in _MESSAGES) and _free_bytes(run_dir) < NEARLY_FULL_BYTES:
        return DiskFullError(_newest_file(run_dir))
    return None


def remove_incomplete_checkpoints(run_dir: Path) -> list[Path]:
    """Delete checkpoint folders without trainer_state.json (a save that failed midway); return them."""
    removed = []
    for folder in RunPaths(run_dir).checkpoints.glob("checkpoint-*"):
        if runformat.checkpoint_step(folder.name) is not None and not (folder / runformat.CHECKPOINT_COMPLETE).exists():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _free_bytes(path: Path) -> int:
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return 0


def _newest_file(run_dir: Path) -> Path:
    newest, when = run_dir, -1.0
    for path in run_dir.rglob("*"):
        try:
            if path.is_file() and path.stat().st_mtime > when:
                newest, when = path, path.stat().st_mtime
        except OSError:
            continue
    return newest
