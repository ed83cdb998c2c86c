"""Regenerate the recorded runs under test/fixtures/runs/ with the real trainer.

    .venv/bin/python trainer/scripts/make_fixture_run.py [--out test/fixtures/runs]

Produces
  completed-tiny/   3 GRPO steps on a tiny local Qwen2 model, every step recorded, forking mask
                    (top_entropy_quantile 0.5), two rewards: exact_answer and `brittle`, which
                    returns NaN for one completion per batch (reward_error rows and events) and
                    logs an extra column; one checkpoint (step 3); status completed.
                    Plus a small real eval, evals/<YYYYMMDD-HHMMSS>-fixture/: base vs checkpoint-3, 4
                    prompts × 4 samples, solved = brittle >= 0.33 (so some samples are correct and the
                    second sample of each prompt is a reward error), and checkpoint-3's samples
                    scored by base.
  failed-abort/     the same with `brittle` on_error=abort: status failed with an error object.

Each run is spawned through the CLI (`rlstudio train`) with stdout/stderr redirected to the run's
logs/ folder, as the extension does. Runs are written to a temp folder and moved into place.
Then completed-tiny's checkpoint is exported to ONNX (make_onnx_fixture.py).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rlstudio.runformat import RunPaths

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "test" / "fixtures" / "runs"

REWARDS = '''\
def brittle(completions, log_extra=None, **kwargs):
    """Length-based score; NaN for the second completion of every batch (an error the run records)."""
    if log_extra is not None:
        log_extra("chars", [len(c if isinstance(c, str) else c[-1]["content"]) for c in completions])
    return [float("nan") if i == 1 else min(1.0, len(str(c)) / 200) for i, c in enumerate(completions)]
'''

DATA = [
    {"question": f"What is {a} + {b}?", "answer": str(a + b)}
    for a, b in [(1, 2), (2, 2), (3, 4), (5, 1), (6, 3), (7, 7), (8, 1), (9, 0)]
]

CONFIG = """\
name: {name}
seed: 0
model:
  name: ./model
data:
  path: data.jsonl
  template: "{{question}} Answer in <answer></answer> tags."
  system_prompt: "You are a careful calculator."
rewards:
  - name: exact
    ref: exact_answer
  - name: brittle
    ref: rewards.py:brittle
    weight: 0.5
    on_error: {on_error}
algorithm:
  num_generations: 4
  per_device_train_batch_size: 8
  max_completion_length: 12
  max_steps: 3
  top_entropy_quantile: 0.5
  learning_rate: 0.001
  temperature: 1.0
recording:
  every_n_steps: 1
checkpoints:
  every_n_steps: 3
  keep_last: 1
eval:
  pass_when: {{reward: brittle, at_least: 0.33}}
"""


def make_workspace(root: Path, on_error: str, name: str) -> Path:
    import json

    from rlstudio.testing import make_tiny_model

    root.mkdir(parents=True, exist_ok=True)
    make_tiny_model(root / "model", hidden_size=16, num_layers=1, num_heads=2)
    (root / "data.jsonl").write_text("".join(json.dumps(row) + "\n" for row in DATA))
    (root / "rewards.py").write_text(REWARDS)
    config = root / "fixture.rlstudio.yaml"
    config.write_text(CONFIG.format(name=name, on_error=on_error))
    return config


def train(config: Path, run_dir: Path) -> int:
    paths = RunPaths(run_dir)
    paths.logs.mkdir(parents=True, exist_ok=True)
    rlstudio = Path(sys.executable).parent / "rlstudio"
    with open(paths.stdout_log, "wb") as out, open(paths.stderr_log, "wb") as err:
        return subprocess.call([str(rlstudio), "train", str(config), "--run-dir", str(run_dir)], stdout=out, stderr=err)


def evaluate(run_dir: Path) -> int:
    """The fixture eval and cross-scores, through the CLI as the extension spawns them."""
    rlstudio = str(Path(sys.executable).parent / "rlstudio")
    eval_id = f"{time.strftime('%Y%m%d-%H%M%S')}-fixture"
    commands = [
        [rlstudio, "eval", str(run_dir), "--checkpoints", "base,latest", "--prompts", "4", "--samples", "4",
         "--name", "fixture", "--eval-id", eval_id],
        [rlstudio, "score", str(run_dir), "--eval", eval_id, "--checkpoint", "checkpoint-3", "--by", "base"],
    ]
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            return done.returncode
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rlstudio-fixture-") as tmp:
        for name, on_error, expected in (("completed-tiny", "skip", 0), ("failed-abort", "abort", 1)):
            workspace = Path(tmp) / name
            config = make_workspace(workspace, on_error, name)
            run_dir = workspace / "run"
            code = train(config, run_dir)
            if code != expected:
                print(RunPaths(run_dir).stderr_log.read_text()[-3000:], file=sys.stderr)
                print(f"{name}: exit code {code}, expected {expected}", file=sys.stderr)
                return 1
            if code == 0 and evaluate(run_dir) != 0:
                print(f"{name}: the eval failed", file=sys.stderr)
                return 1
            target = args.out / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(run_dir, target)
            size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
            print(f"{target.relative_to(REPO)}: {size / 1024:.0f} KiB")
    if args.out == DEFAULT_OUT:  # completed-tiny's ONNX export and the numbers the TypeScript tests check it against
        subprocess.run([sys.executable, "trainer/scripts/make_onnx_fixture.py"], cwd=REPO, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
