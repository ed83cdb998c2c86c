"""Who may write a run directory: a new run gets an empty one (`--overwrite` moves the old contents
aside), and one trainer at a time holds it.

    <run>/trainer.lock   flock(2) held by the live trainer (rank 0) for its whole life; the kernel
                         drops it when the process ends however it ends (kill -9 included), so a
                         crash cannot leave it stuck. It holds {"pid", "host"} of the holder.

`resume` refuses a run whose trainer lives: the lock is held, or run.json's pid is a live rlstudio
process on this host, or (another host, where flock may not reach over a shared filesystem) the
run's last event is fresher than the heartbeat's stale limit.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from rlstudio import runformat
from rlstudio.runformat import RunPaths, read_jsonl

TERMINAL = ("completed", "failed", "stopped")


class RunDirError(ValueError):
    """The run directory cannot be used as asked (the CLI exits 2 with this message)."""


def prepare_new_run_dir(run_dir: Path, overwrite: bool) -> Path | None:
    """Refuse a directory that holds anything but what a spawner puts there before the trainer starts
    (logs/, control/). With `overwrite`, move it aside to `<name>.replaced-<time>` and return that."""
    if not run_dir.exists():
        return None
    if not run_dir.is_dir():
        raise RunDirError(f"{run_dir} is a file, not a run directory")
    found = sorted(p.name for p in run_dir.iterdir() if p.name not in runformat.BEFORE_START)
    if not found:
        return None
    if not overwrite:
        resume = f"`rlstudio resume {run_dir}` to continue that run, " if RunPaths(run_dir).manifest.exists() else ""
        raise RunDirError(f"{run_dir} is not empty (it holds {', '.join(found[:4])}{', …' if len(found) > 4 else ''}); "
                          f"use {resume}another --run-dir, or --overwrite to move its contents aside")
    ensure_no_live_trainer(run_dir)
    aside = run_dir.with_name(f"{run_dir.name}.replaced-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}")
    run_dir.rename(aside)
    run_dir.mkdir()
    return aside


def ensure_no_live_trainer(run_dir: Path) -> None:
    """Raise RunDirError naming the pid (and host) when the run's trainer is alive."""
    paths = RunPaths(run_dir)
    holder = lock_holder(run_dir)
    if holder is not None:
        raise RunDirError(f"{run_dir} is being trained by pid {holder.get('pid', '?')} on {holder.get('host', '?')} "
                          f"(it holds {paths.lock}); stop it first")
    try:
        manifest = json.loads(paths.manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if manifest.get("status") in TERMINAL:
        return
    pid, host = manifest.get("pid"), manifest.get("host")
    if host == socket.gethostname():
        if isinstance(pid, int) and _rlstudio_process_alive(pid):
            raise RunDirError(f"{run_dir} is being trained by pid {pid} on this host (run.json); stop it first")
        return
    age = _last_event_age(paths.events)
    if age is not None and age < runformat.HEARTBEAT_STALE_S:
        raise RunDirError(f"{run_dir} is being trained by pid {pid} on host {host} (last event {age:.0f} s ago); "
                          f"stop it first, or wait {runformat.HEARTBEAT_STALE_S:.0f} s after it died")


class RunLock:
    """The trainer's hold on its run directory (rank 0 only)."""

    def __init__(self, fd: int):
        self._fd = fd

    @classmethod
    def acquire(cls, run_dir: Path) -> RunLock:
        """Take the lock or raise RunDirError naming its holder."""
        fd = os.open(RunPaths(run_dir).lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise RunDirError(f"{run_dir} is being trained by pid {holder.get('pid', '?')} on "
                              f"{holder.get('host', '?')} (it holds {RunPaths(run_dir).lock})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode(), 0)
        return cls(fd)

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # drops the flock
            self._fd = -1


def lock_holder(run_dir: Path) -> dict[str, Any] | None:
    """{"pid", "host"} of the process holding the run's lock, or None when nobody holds it."""
    try:
        fd = os.open(RunPaths(run_dir).lock, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return None
    except BlockingIOError:
        return _read_holder(fd)
    finally:
        os.close(fd)


def _read_holder(fd: int) -> dict[str, Any]:
    try:
        holder = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        return {}
    return holder if isinstance(holder, dict) else {}


def _rlstudio_process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a reused pid is not our trainer
        return b"rlstudio" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True


def _last_event_age(events: Path) -> float | None:
    try:
        times = [e["t"] for e in read_jsonl(events) if isinstance(e.get("t"), (int, float))]
    except ValueError:
        return None
    return time.time() - max(times) if times else None
