"""The run directory (run format v1, docs/run-format.md): writing and tolerant reading.

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
import json
import math
import os
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from rlstudio import FORMAT
from rlstudio.selection import SELECTION_FILE

TERMINAL_STATUSES = ("completed", "failed", "stopped")


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old or the new file, never a torn one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def finite_or_none(value: Any) -> float | int | None:
    """JSON-safe metric value: non-finite and non-numeric values become null."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every complete JSON line; a half-written or corrupt last line is skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    out = []
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            if i < len(lines) - 1:  # only the unterminated last line may be half-written
                raise ValueError(f"{path}:{i + 1}: corrupt JSON line") from None
    return out


def read_manifest(run_dir: Path) -> dict[str, Any]:
    path = Path(run_dir) / "run.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: not a run directory (no run.json)") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: invalid JSON ({exc})") from None


class RunWriter:
    """Writes run.json, events.jsonl and metrics.jsonl of one run directory (thread-safe)."""

    def __init__(self, run_dir: Path, manifest: dict[str, Any] | None = None):
        self.dir = Path(run_dir)
        for sub in ("rollouts", "checkpoints", "control", "logs"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.manifest: dict[str, Any] = manifest if manifest is not None else {}
        self._events = open(self.dir / "events.jsonl", "a", encoding="utf-8")  # noqa: SIM115 (lives with the run)
        self._metrics = open(self.dir / "metrics.jsonl", "a", encoding="utf-8")  # noqa: SIM115

    @classmethod
    def create(cls, run_dir: Path, name: str, config: dict[str, Any], config_path: str | None,
               versions: dict[str, str], max_steps: int, model: str) -> RunWriter:
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
            "algorithm": "grpo",
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
            atomic_write_bytes(self.dir / "run.json", data)

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
        clean = {key: finite_or_none(value) for key, value in values.items()}
        self._append(self._metrics, {"step": step, "t": time.time(), "values": clean})

    def _append(self, stream, record: dict[str, Any]) -> None:
        line = json.dumps(record, default=str, allow_nan=False) + "\n"
        with self._lock:
            stream.write(line)
            stream.flush()

    def truncate_after(self, step: int) -> None:
        """On resume: drop metrics and rollout shards of steps after `step` (they will be redone)."""
        with self._lock:
            kept = [m for m in read_jsonl(self.dir / "metrics.jsonl") if m.get("step", 0) <= step]
            self._metrics.close()
            text = "".join(json.dumps(m) + "\n" for m in kept)
            atomic_write_bytes(self.dir / "metrics.jsonl", text.encode("utf-8"))
            self._metrics = open(self.dir / "metrics.jsonl", "a", encoding="utf-8")  # noqa: SIM115
        selection = self.dir / SELECTION_FILE  # written by the trainer's prompt selection (rank 0)
        if selection.exists():
            kept = [line for line in read_jsonl(selection) if line.get("step", 0) <= step]
            atomic_write_bytes(selection, "".join(json.dumps(line) + "\n" for line in kept).encode("utf-8"))
        for shard in (self.dir / "rollouts").glob("step-*.parquet"):
            if int(shard.stem.split("-")[1]) > step:
                shard.unlink()

    def close(self) -> None:
        with self._lock:
            self._events.close()
            self._metrics.close()


def last_checkpoint(run_dir: Path) -> tuple[int, Path] | None:
    """The highest-numbered complete checkpoint (one with trainer_state.json)."""
    found = []
    for path in (Path(run_dir) / "checkpoints").glob("checkpoint-*"):
        suffix = path.name.rpartition("-")[2]
        if suffix.isdigit() and (path / "trainer_state.json").exists():
            found.append((int(suffix), path))
    return max(found) if found else None
