"""`rlstudio demo`: a real GRPO run on CPU with the embedded SmolLM2-135M-Instruct.

    rlstudio demo                       # run dir: ./.rlstudio/runs/<timestamp>-demo
    rlstudio demo --seed 1 --steps 20 --run-dir /tmp/demo-run

Trains the config shipped as rlstudio/configs/demo.rlstudio.yaml (examples/demo.rlstudio.yaml is the
same file, for users to copy and edit), then reads the run's metrics.jsonl and prints the mean reward
of the first and the last 10 steps.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import time
from pathlib import Path

from rlstudio.runformat import RunPaths, read_jsonl

CONFIG = Path(__file__).parent / "configs" / "demo.rlstudio.yaml"
WINDOW = 10  # steps averaged at each end


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from rlstudio.config import ConfigError, load_config

    overrides = []
    if args.seed is not None:
        overrides.append(f"seed={args.seed}")
    if args.steps is not None:
        overrides.append(f"algorithm.max_steps={args.steps}")
    try:
        config = load_config(CONFIG, overrides)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    run_dir = Path(args.run_dir) if args.run_dir else default_run_dir()

    from rlstudio.train import run

    print(f"rlstudio demo: GRPO on {config.model.name}, task {config.data.reasoning_gym.task}, "
          f"{config.algorithm.max_steps} steps, seed {config.seed}", file=sys.stderr)
    start = time.monotonic()
    code = run(config, run_dir)
    minutes = (time.monotonic() - start) / 60
    rewards = read_rewards(RunPaths(run_dir).metrics)
    print(summary(rewards, minutes))
    print(f"run directory: {run_dir.resolve()}")
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rlstudio demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--run-dir", help="run directory (default ./.rlstudio/runs/<timestamp>-demo)")
    parser.add_argument("--seed", type=int, help="training seed (default: the config's)")
    parser.add_argument("--steps", type=_positive, help="optimizer steps (default: the config's)")
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def default_run_dir() -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path.cwd() / ".rlstudio" / "runs" / f"{stamp}-demo"


def read_rewards(metrics: Path) -> list[tuple[int, float]]:
    """(step, mean reward) per logged step; a missing file or a half-written last line is tolerated."""
    rewards = []
    for record in read_jsonl(metrics):
        value = record.get("values", {}).get("reward")
        if isinstance(value, (int, float)) and math.isfinite(value):
            rewards.append((record["step"], float(value)))
    return rewards


def summary(rewards: list[tuple[int, float]], minutes: float) -> str:
    """The first-10 / last-10 mean reward lines the demo prints."""
    if not rewards:
        return f"no reward was logged ({minutes:.1f} min); see the run's logs/trainer.log"
    first, last = rewards[:WINDOW], rewards[-WINDOW:]
    first_mean = sum(r for _, r in first) / len(first)
    last_mean = sum(r for _, r in last) / len(last)
    lines = [
        f"mean reward, steps {first[0][0]}-{first[-1][0]}: {first_mean:.3f}",
        f"mean reward, steps {last[0][0]}-{last[-1][0]}: {last_mean:.3f}",
        f"change: {last_mean - first_mean:+.3f} in {len(rewards)} steps, {minutes:.1f} min",
    ]
    if len(rewards) < 2 * WINDOW:
        lines.append(f"(fewer than {2 * WINDOW} steps: the two windows overlap)")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
