"""The run directory under hostile conditions, through the real CLI: file modes and the umask, a
run directory that already holds a run, two trainers on one run, resume edge cases, a full disk."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rlstudio.runformat import read_jsonl, read_manifest

pytestmark = pytest.mark.slow


def cli(*args: str, umask: int | None = None, cwd: Path | None = None, timeout: float = 300):
    preexec = (lambda: os.umask(umask)) if umask is not None else None
    return subprocess.run([sys.executable, "-m", "rlstudio", *map(str, args)], capture_output=True, text=True,
                          preexec_fn=preexec, cwd=cwd, timeout=timeout)


def train(workspace: Path, run_dir: Path, *overrides: str, flags: tuple[str, ...] = (), **kwargs):
    sets = [arg for o in overrides for arg in ("--set", o)]
    return cli("train", workspace / "t.rlstudio.yaml", "--run-dir", run_dir, *flags, *sets, **kwargs)


def test_run_files_get_the_mode_the_umask_gives(workspace):
    """run.json, shards, checkpoint.json and metrics.jsonl after a resume were 0600 whatever the umask."""
    run_dir = workspace / "run"
    first = train(workspace, run_dir, "algorithm.max_steps=1", "checkpoints.every_n_steps=1", umask=0o027)
    assert first.returncode == 0, first.stderr
    second = cli("resume", run_dir, "--set", "algorithm.max_steps=2", umask=0o027)
    assert second.returncode == 0, second.stderr
    assert read_manifest(run_dir)["status"] == "completed"
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    for name in ("run.json", "metrics.jsonl", "events.jsonl", "step-00000002.parquet", "prompts.jsonl",
                 "checkpoint.json"):
        assert any(p.name == name for p in files), name
    wrong = {str(p.relative_to(run_dir)): oct(stat.S_IMODE(p.stat().st_mode)) for p in files
             if stat.S_IMODE(p.stat().st_mode) != 0o640}
    assert wrong == {}


def test_train_refuses_a_run_dir_that_holds_a_run_unless_overwrite(workspace):
    """`train --run-dir` on an existing run used to mix both (metrics 1..2 then 1..1, old checkpoints kept)."""
    run_dir = workspace / "run"
    assert train(workspace, run_dir, "algorithm.max_steps=2", "checkpoints.every_n_steps=1").returncode == 0
    before = sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*"))
    again = train(workspace, run_dir, "algorithm.max_steps=1")
    assert again.returncode == 2
    assert f"{run_dir} is not empty" in again.stderr and f"rlstudio resume {run_dir}" in again.stderr
    assert sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*")) == before  # nothing touched

    replaced = train(workspace, run_dir, "algorithm.max_steps=1", flags=("--overwrite",))
    assert replaced.returncode == 0, replaced.stderr
    [aside] = [p for p in workspace.iterdir() if p.name.startswith("run.replaced-")]
    assert str(aside) in replaced.stderr
    assert [m["step"] for m in read_jsonl(aside / "metrics.jsonl")] == [1, 2]
    assert [m["step"] for m in read_jsonl(run_dir / "metrics.jsonl")] == [1]
    assert sorted(p.name for p in (run_dir / "checkpoints").glob("checkpoint-*")) == ["checkpoint-1"]
    # What the extension puts there before it starts a trainer is not another run.
    fresh = workspace / "fresh"
    (fresh / "logs").mkdir(parents=True)
    (fresh / "logs" / "stdout.log").write_text("")
    (fresh / "control").mkdir()
    assert train(workspace, fresh, "algorithm.max_steps=1").returncode == 0


def _start_long_run(workspace: Path, run_dir: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "rlstudio", "train", str(workspace / "t.rlstudio.yaml"), "--run-dir", str(run_dir),
           "--set", "algorithm.max_steps=500", "--set", "checkpoints.every_n_steps=1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 180
    while time.time() < deadline and not (run_dir / "checkpoints" / "checkpoint-1" / "trainer_state.json").exists():
        assert proc.poll() is None, "the trainer ended early"
        time.sleep(0.3)
    return proc


def test_resume_is_refused_while_the_trainer_lives(workspace):
    """`resume` used to start a second writer on a run whose trainer was still training."""
    run_dir = workspace / "run"
    proc = _start_long_run(workspace, run_dir)
    try:
        refused = cli("resume", run_dir)
        assert refused.returncode == 2
        assert f"pid {proc.pid}" in refused.stderr
        assert proc.poll() is None
    finally:
        proc.kill()  # kill -9: the lock goes with the process
        proc.wait()
    events = read_jsonl(run_dir / "events.jsonl")
    assert [e["status"] for e in events if e["type"] == "status"] == ["starting", "running"]  # no second writer

    # Another host's trainer is alive while its events are fresh (flock may not reach across hosts).
    manifest = read_manifest(run_dir)
    (run_dir / "run.json").write_text(json.dumps({**manifest, "host": "gpu-node-7", "pid": 4242}))
    with open(run_dir / "events.jsonl", "a") as f:
        f.write(json.dumps({"t": time.time(), "type": "heartbeat", "step": 1}) + "\n")
    elsewhere = cli("resume", run_dir, "--set", "algorithm.max_steps=2")
    assert elsewhere.returncode == 2 and "pid 4242 on host gpu-node-7" in elsewhere.stderr
    # That trainer died: its last event is a minute old, and resume goes ahead.
    lines = (run_dir / "events.jsonl").read_text().splitlines()
    for i, line in enumerate(lines):
        event = json.loads(line)
        lines[i] = json.dumps({**event, "t": min(event["t"], time.time() - 60)})
    (run_dir / "events.jsonl").write_text("\n".join(lines) + "\n")
    from rlstudio.runfiles import last_checkpoint

    step, _ = last_checkpoint(run_dir)
    resumed = cli("resume", run_dir, "--set", f"algorithm.max_steps={step + 1}")
    assert resumed.returncode == 0, resumed.stderr


def test_resume_records_its_overrides(workspace):
    """`resume --set algorithm.max_steps=N` trained to N while run.json kept the old max_steps."""
    run_dir = workspace / "run"
    assert train(workspace, run_dir, "algorithm.max_steps=1", "checkpoints.every_n_steps=1").returncode == 0
    result = cli("resume", run_dir, "--set", "algorithm.max_steps=2", "--set", "algorithm.temperature=0.9")
    assert result.returncode == 0, result.stderr
    manifest = read_manifest(run_dir)
    assert manifest["maxSteps"] == 2 and manifest["config"]["algorithm"]["max_steps"] == 2
    assert manifest["config"]["algorithm"]["temperature"] == 0.9
    assert read_jsonl(run_dir / "metrics.jsonl")[-1]["step"] == 2


def test_resume_without_a_checkpoint_keeps_the_original_error(workspace):
    """Resuming a failed run that has no checkpoint replaced its error by "no checkpoint"."""
    run_dir = workspace / "run"
    failed = train(workspace, run_dir, "rewards=[{name: bad, ref: 'rewards.py:raises', on_error: abort}]")
    assert failed.returncode == 1
    before = (run_dir / "run.json").read_text()
    result = cli("resume", run_dir)
    assert result.returncode == 2
    assert "no checkpoint to resume from" in result.stderr and "RewardAbort" in result.stderr
    assert (run_dir / "run.json").read_text() == before
    assert read_manifest(run_dir)["error"]["type"] == "RewardAbort"


@pytest.fixture
def small_disk(tmp_path):
    """A real 1.2 MB filesystem (tmpfs; mounting needs root): room for a run and one checkpoint or two."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1200k", "tmpfs", str(mount)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_reported_as_such(workspace, small_disk):
    """A full disk showed torch's inline_container.cc error, a logging-error dump and an uncaught OSError,
    left run.json `running` and a partial checkpoint."""
    run_dir = small_disk / "run"
    result = train(workspace, run_dir, "algorithm.max_steps=50", "checkpoints.every_n_steps=1",
                   "checkpoints.keep_last=null")
    assert result.returncode == 1, result.stderr
    manifest = read_manifest(run_dir)
    assert manifest["status"] == "failed"
    assert manifest["error"]["type"] == "DiskFullError"
    assert manifest["error"]["message"].startswith(f"disk full while writing {run_dir}/")
    assert f"rlstudio: run failed: DiskFullError: disk full while writing {run_dir}/" in result.stderr
    for noise in ("Logging error", "inline_container", "Traceback"):
        assert noise not in result.stderr, noise
    checkpoints = list((run_dir / "checkpoints").glob("checkpoint-*"))
    assert checkpoints and all((c / "trainer_state.json").exists() for c in checkpoints)  # no partial one
