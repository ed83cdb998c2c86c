"""SIGTERM while the trainer's main thread is writing an event must not deadlock the process.

The signal handler (Control._on_signal) records the stop request in events.jsonl; it runs in the main
thread between two bytecodes, possibly while that thread holds RunWriter's lock in the middle of a
write. A real subprocess sends itself SIGTERM from inside the write (so the lock is held, every time)
and must then finish within the timeout, with the request recorded after the event that was being written.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from rlstudio.control import Control
    from rlstudio.runfiles import RunWriter

    writer = RunWriter.create(Path(sys.argv[1]), "n", {}, None, {}, 1, "m")
    control = Control(Path(sys.argv[1]), writer)
    control.install()

    class SignalMidWrite:
        '''events.jsonl whose next write delivers SIGTERM to this process, i.e. while the lock is held.'''
        def __init__(self, stream):
            self.stream, self.armed = stream, True
        def write(self, text):
            self.stream.write(text)
            if self.armed:
                self.armed = False
                os.kill(os.getpid(), signal.SIGTERM)  # the handler runs before write() returns
        def __getattr__(self, name):
            return getattr(self.stream, name)

    writer._events = SignalMidWrite(writer._events)
    writer.event("step", step=1)
    assert control.stop_requested
    writer.set_status("stopped")
    control.close()
    writer.close()
    print("finished")
""")


def test_sigterm_while_an_event_is_written_does_not_deadlock(tmp_path):
    run_dir = tmp_path / "run"
    try:
        done = subprocess.run([sys.executable, "-c", SCRIPT, str(run_dir)], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired as exc:  # subprocess.run kills the child on timeout
        raise AssertionError("the process hung: the SIGTERM handler waited for the lock its own thread held") from exc
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "finished"
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    types = [(e["type"], e.get("source")) for e in events]
    assert ("control", "signal") in types
    assert types.index(("step", None)) < types.index(("control", "signal")) < types.index(("status", None), 1)
    assert [e for e in events if e["type"] == "control"][0]["signal"] == "SIGTERM"
