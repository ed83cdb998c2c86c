"""Runs user reward functions in a child process, so that a hung or crashing one can be killed.

The worker keeps one `Executor` (a `spawn`ed process, started on first use). `call` sends it one
function and the samples, and waits — polling for cancellation — until the function returns, the
deadline passes (the child is killed; the next call starts a fresh one), or the child dies.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

POLL_S = 0.05


class ExecutorTimeout(Exception):
    pass


class ExecutorDied(Exception):
    pass


class ExecutorCancelled(Exception):
    pass


class Executor:
    def __init__(self) -> None:
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self.restarts = 0

    def _ensure(self) -> Connection:
        if self._process is not None and self._process.is_alive() and self._conn is not None:
            return self._conn
        self.kill()
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(target=_child_main, args=(child,), name="rlstudio-reward-executor", daemon=True)
        process.start()
        child.close()
        self._process, self._conn = process, parent
        return parent

    def call(self, task: dict[str, Any], timeout_s: float, cancelled: Callable[[], bool]) -> dict[str, Any]:
        conn = self._ensure()
        conn.send(task)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if conn.poll(POLL_S):
                    return conn.recv()
            except (EOFError, OSError):
                raise ExecutorDied(self._reap()) from None
            if self._process is None or not self._process.is_alive():
                raise ExecutorDied(self._reap())
            if cancelled():
                self.kill()
                raise ExecutorCancelled()
            if time.monotonic() > deadline:
                self.kill()
                raise ExecutorTimeout()

    def _reap(self) -> str:
        """Collect a dead child; describe how it ended."""
        code = None
        if self._process is not None:
            self._process.join(timeout=5)
            code = self._process.exitcode
        self._forget()
        return f"the reward process exited (exit code {code})"

    def kill(self) -> None:
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
                self.restarts += 1
            self._process.join(timeout=5)
        self._forget()

    def _forget(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._process, self._conn = None, None


# --- the child ------------------------------------------------------------------------------------


def _child_main(conn: Connection) -> None:
    import os
    import threading

    from rlstudio.worker.reward_calls import call_reward

    parent = os.getppid()

    def exit_with_parent() -> None:  # a hung reward must not outlive a killed worker
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=exit_with_parent, daemon=True).start()

    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        conn.send(call_reward(task))
