"""The run directory (run format v1, docs/run-format.md; its names are rlstudio.runformat's):
writing run.json, events.jsonl and metrics.jsonl.

    run.json        manifest, rewritten atomically (temp file in the same folder + os.replace)
    events.jsonl    append-only lifecycle events {t, type, ...}
    metrics.jsonl   one line per logging step {step, t, values}
    rollouts/       step-XXXXXXXX.parquet shards (rlstudio.rollouts)
    checkpoints/    checkpoint-<step>/ (+ checkpoint.json)
    control/        stop / save request files
    logs/           stdout.log, stderr.log (spawner), trainer.log (ours)

Only the process that owns the run (rank 0) creates a RunWriter.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import socket
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from rlstudio import FORMAT, runformat
from rlstudio.diskfull import DiskFullError
from rlstudio.runformat import RunPaths, read_jsonl, read_manifest

TERMINAL_STATUSES = ("completed", "failed", "stopped")
RESERVE_BYTES = 64 << 10


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def current_umask() -> int:
    """The process umask, read without changing it (os.umask sets it, racing other threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # no /proc (macOS): set and restore at once
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old or the new file, never a torn one.

    The file gets the mode a plain open() would give it (0666 less the umask), not the temp file's 0600.
    """
    prefix, suffix = runformat.temp_affixes(path.name)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=suffix)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            raise DiskFullError(path) from exc
        raise


def umask_modes(folder: Path) -> None:
    """Give the files under `folder` the mode the umask gives (writers that go through private temp
    files leave 0600, unreadable to the other users of a shared run directory)."""
    mode = 0o666 & ~current_umask()
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            path.chmod(mode)


def finite_or_none(value: Any) -> float | int | None:
    """JSON-safe value for run.json's summary and checkpoint.json: like metrics.jsonl's
    (`runformat.metric_value`), but a non-finite number is null there."""
    stored = runformat.metric_value(value)
    return None if isinstance(stored, str) else stored


class QueuedEvents:
    """The event path a signal handler may take (RunWriter, EvalWriter): the writer has `_lock`, a
    `_pending` deque of events.jsonl lines and `_drain()`, which writes them with the lock held."""

    _lock: threading.Lock
    _pending: deque[str]

    def _drain(self) -> None:
        raise NotImplementedError

    def signal_event(self, type: str, **fields: Any) -> None:
        """An event queued, written now only if the lock is free (never waits: see RunWriter)."""
        self._pending.append(json.dumps({"t": time.time(), "type": type, **fields}, default=str, allow_nan=False))
        if self._lock.acquire(blocking=False):
            try:
                self._drain()
            finally:
                self._lock.release()


class RunWriter(QueuedEvents):
    """Writes run.json, events.jsonl and metrics.jsonl of one run directory (thread-safe).

    `signal_event` is the one path for a signal handler: the handler runs in the main thread between two
    bytecodes, possibly while that thread holds the (non-reentrant) lock in the middle of a write, so it
    queues its event and never waits for the lock; whoever holds the lock next writes the queue first
    (the next event, metrics line, manifest write, heartbeat or close).
    """

    def __init__(self, run_dir: Path, manifest: dict[str, Any] | None = None):
        self.dir = Path(run_dir)
        self.paths = RunPaths(self.dir)
        for sub in runformat.SUBFOLDERS:
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._pending: deque[str] = deque()  # events.jsonl lines queued by `signal_event`
        self.manifest: dict[str, Any] = manifest if manifest is not None else {}
        self._events = open(self.paths.events, "a", encoding="utf-8")  # noqa: SIM115 (lives with the run)
        self._metrics = open(self.paths.metrics, "a", encoding="utf-8")  # noqa: SIM115
        self._reserve_space()

    @classmethod
    def create(cls, run_dir: Path, name: str, config: dict[str, Any], config_path: str | None,
               versions: dict[str, str], max_steps: int, model: str, algorithm: str = "grpo") -> RunWriter:
        now = utc_now()
        manifest = {
            "format": FORMAT,
            "id": Path(run_dir).name,
            "name": name,
            "createdAt": now,
            "updatedAt": now,
            "status": "starting",
            "endedAt": None,
            "error": None,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "algorithm": algorithm,
            "model": model,
            "maxSteps": max_steps,
            "configPath": config_path,
            "config": config,
            "versions": versions,
            "resumedFrom": None,
        }
        writer = cls(run_dir, manifest)
        writer.write_manifest()
        writer.event("status", status="starting")
        return writer

    @classmethod
    def reopen(cls, run_dir: Path) -> RunWriter:
        return cls(run_dir, read_manifest(run_dir))

    # --- run.json -------------------------------------------------------------------------

    def write_manifest(self, **updates: Any) -> None:
        with self._lock:
            self.manifest.update(updates)
            self.manifest["updatedAt"] = utc_now()
            data = json.dumps(self.manifest, indent=2, default=str).encode("utf-8")
            atomic_write_bytes(self.paths.manifest, data)
            self._drain()

    def _reserve_space(self) -> None:
        """Hold a little disk space (a temp file readers ignore) so that a run that fills the disk can
        still record `failed` in run.json: `release_reserve` frees it just before."""
        try:
            fd = os.open(self.paths.reserve, os.O_WRONLY | os.O_CREAT, 0o666)
            try:
                os.posix_fallocate(fd, 0, RESERVE_BYTES)
            finally:
                os.close(fd)
        except (OSError, AttributeError):  # no room even for that, or no posix_fallocate: go without
            self.paths.reserve.unlink(missing_ok=True)

    def release_reserve(self) -> None:
        self.paths.reserve.unlink(missing_ok=True)

    def set_status(self, status: str, error: dict[str, str] | None = None) -> None:
        updates: dict[str, Any] = {"status": status}
        if status in TERMINAL_STATUSES:
            updates["endedAt"] = utc_now()
            updates["error"] = error
        self.write_manifest(**updates)
        self.event("status", status=status)
        if error is not None:
            self.event("error", error=error)

    # --- events.jsonl / metrics.jsonl -----------------------------------------------------

    def event(self, type: str, **fields: Any) -> None:
        self._append(self._events, {"t": time.time(), "type": type, **fields})

    def metrics(self, step: int, values: dict[str, Any]) -> None:
        clean = {key: runformat.metric_value(value) for key, value in values.items()}
        self._append(self._metrics, {"step": step, "t": time.time(), "values": clean})

    def _append(self, stream, record: dict[str, Any]) -> None:
        line = json.dumps(record, default=str, allow_nan=False) + "\n"
        with self._lock:
            self._drain()
            self._write(stream, line)

    def _drain(self) -> None:
        """Write the events queued by `signal_event` (with the lock held)."""
        if self._pending and not self._events.closed:
            self._write(self._events, "".join(self._pending.popleft() + "\n" for _ in range(len(self._pending))))

    @staticmethod
    def _write(stream, text: str) -> None:
        try:
            stream.write(text)
            stream.flush()
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise DiskFullError(stream.name) from exc
            raise

    def truncate_after(self, step: int) -> None:
        """On resume: drop metrics and rollout shards of steps after `step` (they will be redone)."""
        with self._lock:
            kept = [m for m in read_jsonl(self.paths.metrics) if m.get("step", 0) <= step]
            self._metrics.close()
            text = "".join(json.dumps(m) + "\n" for m in kept)
            atomic_write_bytes(self.paths.metrics, text.encode("utf-8"))
            self._metrics = open(self.paths.metrics, "a", encoding="utf-8")  # noqa: SIM115
        if self.paths.selection.exists():  # written by the trainer's prompt selection (rank 0)
            kept = [line for line in read_jsonl(self.paths.selection) if line.get("step", 0) <= step]
            atomic_write_bytes(self.paths.selection, "".join(json.dumps(line) + "\n" for line in kept).encode("utf-8"))
        for shard_step, shard in runformat.shards(self.paths.rollouts):
            if shard_step > step:
                shard.unlink()

    def close(self) -> None:
        """Close the files; a flush that fails here (a full disk) was already reported."""
        with self._lock:
            try:
                self._drain()
            except OSError:
                pass
            for stream in (self._events, self._metrics):
                try:
                    stream.close()
                except OSError:
                    pass
        self.release_reserve()


def last_checkpoint(run_dir: Path) -> tuple[int, Path] | None:
    """The highest-numbered complete checkpoint (one with trainer_state.json)."""
    found = []
    for path in RunPaths(run_dir).checkpoints.glob("checkpoint-*"):
        step = runformat.checkpoint_step(path.name)
        if step is not None and (path / runformat.CHECKPOINT_COMPLETE).exists():
            found.append((step, path))
    return max(found) if found else None

