"""Run control: stop / save requests (control files and signals), the heartbeat, and the deadline
of each reward call (`reward_deadline`: rewards[].timeout_s, and a stop while a reward runs).

The extension drops `control/stop` or `control/save` into the run directory; SIGINT and SIGTERM
request a graceful stop (a second SIGINT interrupts at once). Requests are acted on at the next
step boundary by `RunCallback`, which also agrees on them across processes.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from pathlib import Path

from rlstudio import runformat
from rlstudio.rewards import RewardTimeout
from rlstudio.runfiles import RunWriter

HEARTBEAT_S = 5.0
REWARD_TICK_S = 0.5  # how often a running reward call checks its deadline and stop requests


class StopDuringReward(BaseException):
    """A stop request arrived while a reward function ran: the step is abandoned, the run ends `stopped`.
    A BaseException, so that the reward's on_error handling (which catches Exception) lets it through."""


class Control:
    def __init__(self, run_dir: Path, writer: RunWriter | None):
        self.control_dir = runformat.RunPaths(run_dir).control
        self.writer = writer
        self.stop_requested = False
        self.save_requested = False
        self.step = 0
        self._signals = 0
        self._previous = {}
        self._done = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def install(self) -> None:
        """Signal handlers (main thread only) and the heartbeat thread (rank 0 only)."""
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._on_signal)
        if self.writer is not None:
            self._heartbeat = threading.Thread(target=self._beat, name="rlstudio-heartbeat", daemon=True)
            self._heartbeat.start()

    def close(self) -> None:
        self._done.set()
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=2)

    def _on_signal(self, signum, frame) -> None:
        self._signals += 1
        if signum == signal.SIGINT and self._signals > 1:
            raise KeyboardInterrupt
        if not self.stop_requested:
            self.stop_requested = True
            if self.writer is not None:
                self.writer.signal_event("control", request="stop", source="signal", signal=signal.Signals(signum).name)

    @contextlib.contextmanager
    def reward_deadline(self, name: str, timeout_s: float):
        """Run a reward call under a deadline: a SIGALRM tick (main thread only) raises RewardTimeout in
        the function past `timeout_s`, and StopDuringReward when a stop was requested meanwhile (signal
        or control file), so neither a hung function nor a stop request waits for it. Python code and
        blocking system calls are interrupted; C code that never returns to the interpreter is not."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        start = time.monotonic()

        def tick(signum, frame):
            if self.stop_requested or (self.control_dir / runformat.STOP_REQUEST).exists():
                raise StopDuringReward(f"stop requested while reward function {name!r} was running")
            if time.monotonic() - start >= timeout_s:
                raise RewardTimeout(f"reward function {name!r} did not return within {timeout_s:g} s "
                                    "(interrupted; raise rewards[].timeout_s if it needs longer)")

        previous = signal.signal(signal.SIGALRM, tick)
        period = min(REWARD_TICK_S, timeout_s)
        signal.setitimer(signal.ITIMER_REAL, period, period)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def _beat(self) -> None:
        while not self._done.wait(HEARTBEAT_S):
            try:
                self.writer.event("heartbeat", step=self.step)
            except (OSError, ValueError):  # closed or full: the main thread reports the failure
                return

    def poll_files(self) -> tuple[bool, bool]:
        """Consume control files; return (stop, save) requested so far."""
        for request in (runformat.STOP_REQUEST, runformat.SAVE_REQUEST):
            path = self.control_dir / request
            if path.exists():
                path.unlink(missing_ok=True)
                if request == runformat.STOP_REQUEST:
                    self.stop_requested = True
                else:
                    self.save_requested = True
                if self.writer is not None:
                    self.writer.event("control", request=request, source="file")
        return self.stop_requested, self.save_requested
