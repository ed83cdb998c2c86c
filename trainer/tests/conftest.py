"""Shared fixtures: a tiny local Qwen2 model and a workspace with data, rewards and a config."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

ROWS = [{"question": f"What is {a} + {b}?", "answer": str(a + b)} for a, b in [(1, 2), (2, 2), (3, 4), (5, 1)]]

REWARDS = '''
def length_score(completions, **kwargs):
    return [min(1.0, len(str(c)) / 40) for c in completions]

def nan_at_one(completions, **kwargs):
    return [float("nan") if i == 1 else 1.0 for i in range(len(completions))]

def raises(completions, **kwargs):
    raise RuntimeError("boom from the user's reward")

def nan_on_even(completions, **kwargs):
    return [float("nan") if i % 2 == 0 else 1.0 for i in range(len(completions))]

def hangs(completions, **kwargs):
    import pathlib, time
    pathlib.Path(__file__).with_name("hang-started").touch()
    time.sleep(3600)

def extra_logger(completions, log_extra=None, **kwargs):
    log_extra("n_chars", [len(str(c)) for c in completions])
    return [0.0] * len(completions)
'''

BASE_CONFIG = """\
name: t
seed: 0
model:
  name: ./model
data:
  path: data.jsonl
  template: "{question}"
rewards:
  - {name: exact, ref: exact_answer}
  - {name: length, ref: "rewards.py:length_score"}
algorithm:
  num_generations: 4
  per_device_train_batch_size: 8
  max_completion_length: 8
  max_steps: 3
  learning_rate: 0.001
checkpoints:
  every_n_steps: 3
"""
# A 2-step DPO run on `prefs.jsonl` (test_algorithms.PAIRS or the like), a checkpoint per step.
DPO_CONFIG = """\
name: d
seed: 0
model: {name: ./model}
data: {path: prefs.jsonl}
algorithm: {name: dpo, beta: 0.1, max_steps: 2, per_device_train_batch_size: 2, learning_rate: 0.001}
checkpoints: {every_n_steps: 1, keep_last: null}
"""


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    from rlstudio.testing import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


def make_workspace(root: Path, tiny_model: Path) -> Path:
    """The tiny model, data.jsonl (ROWS), rewards.py (REWARDS) and t.rlstudio.yaml (BASE_CONFIG) in `root`."""
    shutil.copytree(tiny_model, root / "model")
    (root / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    (root / "rewards.py").write_text(REWARDS)
    (root / "t.rlstudio.yaml").write_text(BASE_CONFIG)
    return root


@pytest.fixture
def workspace(tmp_path, tiny_model) -> Path:
    return make_workspace(tmp_path, tiny_model)


def load(workspace: Path, *overrides: str):
    from rlstudio.config import load_config

    return load_config(workspace / "t.rlstudio.yaml", list(overrides))


VARYING_REWARD = "rewards=[{name: chars, ref: 'varying.py:chars'}]"  # an override using write_varying_reward's file


def write_varying_reward(workspace: Path) -> None:
    """A reward in [0, 1] that differs between completions of the random tiny model (the fixture's
    `length_score` saturates at 1 on them, so every group would have zero variance)."""
    (workspace / "varying.py").write_text(
        "def chars(completions, **kwargs):\n    return [min(1.0, len(str(c)) / 60) for c in completions]\n")


def train_two_processes(workspace: Path, run_dir: Path, *overrides: str):
    """`accelerate launch` with 2 CPU processes (gloo) of `rlstudio train t.rlstudio.yaml --set ...`."""
    import subprocess
    import sys

    accelerate = Path(sys.executable).parent / "accelerate"
    cmd = [str(accelerate), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
           "--mixed_precision", "no", "--dynamo_backend", "no",
           "-m", "rlstudio.cli", "train", str(workspace / "t.rlstudio.yaml"), "--run-dir", str(run_dir),
           *[arg for override in overrides for arg in ("--set", override)]]
    env = {**os.environ, "ACCELERATE_USE_CPU": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=400)
