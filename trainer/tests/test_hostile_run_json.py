"""`resume`, `eval` on run folders a user (or a crash) left in a bad state, through the real CLI: each
is refused with exit 2 and a message naming the file, never a traceback, and run.json is left as it was."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import load

from rlstudio.runfiles import RunWriter
from rlstudio.runformat import CHECKPOINT_COMPLETE, RunPaths


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rlstudio", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def _refused(done: subprocess.CompletedProcess, *fragments: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in done.stderr


def _run_with_a_checkpoint(workspace: Path) -> Path:
    """A run folder as `rlstudio train` leaves it after step 1: run.json with the config, a complete checkpoint."""
    config = load(workspace)
    run_dir = workspace / "run"
    writer = RunWriter.create(run_dir, config.name, config.to_dict(), config.config_path, {}, 3, config.model.name)
    writer.set_status("stopped")
    writer.close()
    checkpoint = RunPaths(run_dir).checkpoint(1)
    checkpoint.mkdir(parents=True)
    (checkpoint / CHECKPOINT_COMPLETE).write_text("{}")
    return run_dir


@pytest.mark.parametrize("command", ["resume", "eval"])
def test_run_json_that_is_not_an_object(tmp_path, command):
    """Was AttributeError: 'list' object has no attribute 'get'."""
    (tmp_path / "run.json").write_text("[]")
    _refused(cli(command, tmp_path), f"{tmp_path / 'run.json'}: expected a JSON object, not list")


def test_eval_of_a_run_json_without_config(tmp_path):
    """Was KeyError: 'config' (exit 1 with a traceback)."""
    (tmp_path / "run.json").write_text(json.dumps({"id": "x", "status": "completed"}))
    _refused(cli("eval", tmp_path), f"{tmp_path / 'run.json'}: no `config` object")


def test_resume_without_config_or_status_says_so(tmp_path):
    """Was `no checkpoint to resume from; it None` (status missing) and AttributeError (error not an object)."""
    (tmp_path / "run.json").write_text(json.dumps({"id": "x", "error": "a string"}))
    done = cli("resume", tmp_path)
    _refused(done, "no checkpoint to resume from (run.json is left as it was)")
    assert "None" not in done.stderr
    checkpoint = RunPaths(tmp_path).checkpoint(2)
    checkpoint.mkdir(parents=True)
    (checkpoint / CHECKPOINT_COMPLETE).write_text("{}")
    _refused(cli("resume", tmp_path), f"{tmp_path / 'run.json'}: no `config` object")


def test_resume_with_a_bad_override_is_refused_and_run_json_kept(workspace):
    """Was a ConfigError traceback with exit 1."""
    run_dir = _run_with_a_checkpoint(workspace)
    before = RunPaths(run_dir).manifest.read_bytes()
    _refused(cli("resume", run_dir, "--set", "algorithm.learning_rate=fast"), "algorithm.learning_rate",
             "expected a number")
    assert RunPaths(run_dir).manifest.read_bytes() == before


def test_resume_when_a_reward_file_is_gone_is_refused_and_run_json_kept(workspace):
    """Was: resume started, failed at the reward import and rewrote a stopped run.json as `failed` with a bare
    FileNotFoundError."""
    run_dir = _run_with_a_checkpoint(workspace)
    before = RunPaths(run_dir).manifest.read_bytes()
    (workspace / "rewards.py").unlink()
    _refused(cli("resume", run_dir), "rewards[1].ref: reward file not found:", str(workspace / "rewards.py"))
    assert RunPaths(run_dir).manifest.read_bytes() == before


@pytest.mark.parametrize("manifest", ['{"id": "e"}', '{"id": "e", "params": {}, "checkpoints": [{"x": 1}]}', "[]"])
def test_continuing_an_eval_whose_eval_json_is_broken(workspace, manifest):
    """Was KeyError: 'params' (exit 1 with a traceback) for an eval.json without params."""
    run_dir = _run_with_a_checkpoint(workspace)
    eval_json = run_dir / "evals" / "e" / "eval.json"
    eval_json.parent.mkdir(parents=True)
    eval_json.write_text(manifest)
    _refused(cli("eval", run_dir, "--eval-id", "e"), str(eval_json))
    assert eval_json.read_text() == manifest
