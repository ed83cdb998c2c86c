"""`rlstudio select-subset`: choose training prompts from what a finished run recorded.

    rlstudio select-subset RUN_DIR --method limr --size 100
    rlstudio select-subset RUN_DIR --method limr --threshold 0.6
    rlstudio select-subset RUN_DIR --method drop-solved-unsolved

Methods (docs/data-efficiency.md has the formulas):
- `limr`: LIMR's learning-impact score (Li et al., 2025, "LIMR: Less is More for RL Scaling",
  arXiv 2502.11886, §2.2.1): how closely a prompt's reward trajectory over its recorded visits
  follows the run's average trajectory. Keeps the N best (`--size`) or, as the paper's §2.2.2
  does, those scoring above T (`--threshold`, s_i > θ; the paper's θ is 0.6).
- `drop-solved-unsolved`: the simple baseline: drop prompts that every completion solved at every
  recorded visit, and prompts that no completion ever solved.

Input: the run's shards (per-group mean reward, keyed by the shard column `dataset_index`) and
its config (to load the source rows). Output, in `<run>/subsets/` unless `--out` says otherwise:
`<name>.jsonl` (the selected source rows, a dataset usable as `data.path`),
`<name>.provenance.json` (run, method, parameters, each selected row's score) and
`<name>.report.txt` (also printed). When the run cannot support the method (no `dataset_index`,
fewer than 3 recorded visits per prompt) nothing is written and the reason is printed (exit 2).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlstudio import runformat
from rlstudio.runfiles import atomic_write_bytes, read_manifest, utc_now

LIMR_MIN_VISITS = 3  # a trajectory of fewer points says nothing about its shape
SUBSET_FORMAT = "rlstudio.subset/1"
SOLVED_TOLERANCE = 1e-9


class SelectionRefused(Exception):
    """The run cannot support the method; the message says why and what to do."""

    def __init__(self, message: str, report: str | None = None):
        super().__init__(message)
        self.report = report


# ---------------------------------------------------------------------------------------------
# Scores (pure: lists of normalised rewards in, numbers out)


def average_trajectory(trajectories: dict[int, list[float]]) -> list[float]:
    """r̄^k: the mean of r_i^k over the prompts that have a k-th visit, for k = 1 … max K_i."""
    longest = max((len(t) for t in trajectories.values()), default=0)
    average = []
    for k in range(longest):
        values = [t[k] for t in trajectories.values() if len(t) > k]
        average.append(sum(values) / len(values))
    return average


def lim_scores(trajectories: dict[int, list[float]]) -> dict[int, float]:
    """LIMR's score (§2.2.1): s_i = 1 − Σ_k (r_i^k − r̄^k)² / Σ_k (1 − r̄^k)², k over prompt i's visits.

    Rewards are normalised to [0, 1] with the reward's maximum at 1: the score does not change under
    r → (r − MIN) / (MAX − MIN), so this is the paper's formula on its raw rewards (1 / −0.5 / −1, whose
    maximum is the 1 of the denominator). NaN where the denominator is 0 (the average is at the
    maximum at every visit of the prompt: nothing left to learn, the score is undefined).
    """
    average = average_trajectory(trajectories)
    scores = {}
    for key, trajectory in trajectories.items():
        numerator = sum((r - a) ** 2 for r, a in zip(trajectory, average))
        denominator = sum((1.0 - a) ** 2 for a in average[: len(trajectory)])
        scores[key] = 1.0 - numerator / denominator if denominator > 0 else math.nan
    return scores


# ---------------------------------------------------------------------------------------------
# From a run


@dataclass
class RunTrajectories:
    """Each source row's normalised mean group reward at each recorded visit, by step."""

    trajectories: dict[int, list[float]]
    steps: dict[int, list[int]]
    reward_range: tuple[float, float]
    recorded_steps: int
    unindexed_groups: int = 0
    excluded: dict[int, str] = field(default_factory=dict)  # dataset index -> reason


def run_trajectories(run_dir: Path, reward_range: tuple[float, float] | None = None) -> RunTrajectories:
    groups = runformat.group_results(runformat.RunPaths(run_dir).rollouts)
    if not groups:
        raise SelectionRefused(f"{run_dir}: no rollout shards (rollouts/step-*.parquet); was recording off?")
    unindexed = sum(1 for g in groups if g["dataset_index"] is None)
    if unindexed == len(groups):
        raise SelectionRefused(
            f"{run_dir}: the shards have no `dataset_index` column (recorded before it existed), so a prompt "
            "cannot be traced to its source row; record a new run")
    if reward_range is None:
        values = [r for g in groups for r in g["rewards"]]
        reward_range = (min(values), max(values)) if values else (0.0, 1.0)
    low, high = reward_range
    span = high - low
    if span <= 0:
        raise SelectionRefused(f"{run_dir}: every recorded reward is {low:g}, so no prompt's trajectory differs "
                               "from another's; there is nothing to score")
    trajectories: dict[int, list[float]] = {}
    steps: dict[int, list[int]] = {}
    excluded: dict[int, str] = {}
    for g in sorted(groups, key=lambda g: g["step"]):
        index = g["dataset_index"]
        if index is None:
            continue
        if g["reward"] is None:
            excluded[index] = f"no reward at step {g['step']} (every reward function failed)"
            continue
        normalised = (g["reward"] - low) / span
        trajectories.setdefault(index, []).append(min(1.0, max(0.0, normalised)))
        steps.setdefault(index, []).append(g["step"])
    for index in excluded:
        trajectories.pop(index, None)
        steps.pop(index, None)
    return RunTrajectories(trajectories, steps, (low, high), len({g["step"] for g in groups}), unindexed, excluded)


@dataclass
class Selection:
    method: str
    selected: list[int]
    scores: dict[int, float]
    excluded: dict[int, str]
    note: str = ""


def select(data: RunTrajectories, method: str, size: int | None = None, threshold: float | None = None,
           min_visits: int = LIMR_MIN_VISITS) -> Selection:
    """Choose source rows; every recorded row not chosen gets its reason in `excluded`."""
    excluded = dict(data.excluded)
    eligible = {}
    for index, trajectory in data.trajectories.items():
        if len(trajectory) < min_visits:
            excluded[index] = f"{len(trajectory)} recorded visit(s), fewer than {min_visits}"
        else:
            eligible[index] = trajectory
    if not eligible:
        most = max((len(t) for t in data.trajectories.values()), default=0)
        raise SelectionRefused(
            f"no prompt has {min_visits} or more recorded visits (the most any prompt has is {most}, over "
            f"{data.recorded_steps} recorded steps). A prompt's trajectory needs at least {min_visits} points: "
            "train longer (more epochs over the data), record every step (recording.every_n_steps: 1) or "
            "use fewer prompts.")
    if method == "limr":
        scores = lim_scores(eligible)
        ranked = sorted((i for i in eligible if not math.isnan(scores[i])), key=lambda i: (-scores[i], i))
        for i in eligible:
            if math.isnan(scores[i]):
                excluded[i] = "score undefined: the run's average reward is at the maximum at every visit"
        if size is not None:
            chosen = ranked[:size]
            for i in ranked[size:]:
                excluded[i] = f"score {scores[i]:.3f} below the {size} best"
        else:
            chosen = [i for i in ranked if scores[i] > threshold]  # the paper's s_i > θ (§2.2.2)
            for i in ranked:
                if scores[i] <= threshold:
                    excluded[i] = f"score {scores[i]:.3f} <= threshold {threshold}"
        return Selection(method, sorted(chosen), scores, excluded)
    if method == "drop-solved-unsolved":
        scores = {i: sum(t) / len(t) for i, t in eligible.items()}  # mean normalised reward, for the report
        chosen = []
        for i, trajectory in eligible.items():
            if all(r >= 1.0 - SOLVED_TOLERANCE for r in trajectory):
                excluded[i] = f"always solved ({len(trajectory)} visits at the maximum reward)"
            elif all(r <= SOLVED_TOLERANCE for r in trajectory):
                excluded[i] = f"never solved ({len(trajectory)} visits at the minimum reward)"
            else:
                chosen.append(i)
        return Selection(method, sorted(chosen), scores, excluded)
    raise ValueError(f"unknown method {method!r}")


# ---------------------------------------------------------------------------------------------
# Report


def histogram(values: list[float], bins: int = 10, width: int = 40) -> list[str]:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return ["(no scores)"]
    low, high = min(finite), max(finite)
    if high == low:
        return [f"[{low:7.3f}, {high:7.3f}] {'#' * min(width, len(finite))} {len(finite)}"]
    counts = [0] * bins
    for v in finite:
        counts[min(bins - 1, int((v - low) / (high - low) * bins))] += 1
    peak = max(counts)
    lines = []
    for b, count in enumerate(counts):
        left, right = low + (high - low) * b / bins, low + (high - low) * (b + 1) / bins
        bar = "#" * (round(count / peak * width) if count else 0)
        lines.append(f"[{left:7.3f}, {right:7.3f}{']' if b == bins - 1 else ')'} {bar:<{width}} {count}")
    return lines


def report(run_dir: Path, data: RunTrajectories, selection: Selection, total_rows: int, out: Path | None,
           held_out: int = 0) -> str:
    label = "LIM score" if selection.method == "limr" else "mean normalised reward"
    eligible = list(selection.scores.values())
    recorded = len(data.trajectories) + len(data.excluded)
    reasons = Counter(_reason_kind(r) for r in selection.excluded.values())
    lines = [
        f"run: {run_dir}",
        f"method: {selection.method}",
        f"reward range used for normalising: [{data.reward_range[0]:g}, {data.reward_range[1]:g}]",
        f"source rows: {total_rows}; held out for evaluation: {held_out}; recorded in {data.recorded_steps} "
        f"step(s): {recorded}; never recorded: {total_rows - held_out - recorded}",
        f"scored: {len(selection.scores)}; selected: {len(selection.selected)}",
        "",
        f"{label} of the scored prompts:",
        *histogram(eligible),
        "",
        "excluded (recorded prompts not selected):",
        *[f"  {count:6d}  {kind}" for kind, count in reasons.most_common()],
    ]
    if total_rows - held_out - recorded:
        lines.append(f"  {total_rows - held_out - recorded:6d}  never recorded (not sampled in a recorded step)")
    if held_out:
        lines.append(f"  {held_out:6d}  held out for evaluation (data.eval_fraction), never trained on")
    if data.unindexed_groups:
        lines.append(f"  ({data.unindexed_groups} recorded groups without dataset_index were ignored)")
    lines.append("")
    lines.append(f"written: {out}" if out is not None else "nothing written")
    return "\n".join(lines)


def _reason_kind(reason: str) -> str:
    """The reason without its numbers, to count alike reasons together."""
    if reason.startswith("score ") and "below the" in reason:
        return "score below the " + reason.rsplit("below the ", 1)[1]
    if reason.startswith("score ") and "<= threshold" in reason:
        return "score <= threshold " + reason.rsplit("threshold ", 1)[1]
    if "recorded visit(s), fewer than" in reason:
        return "fewer recorded visits than " + reason.rsplit("fewer than ", 1)[1]
    if reason.startswith(("always solved", "never solved")):
        return reason.split(" (")[0]
    return reason


# ---------------------------------------------------------------------------------------------
# CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir")
    parser.add_argument("--method", choices=["limr", "drop-solved-unsolved"], default="limr")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--size", type=int, help="limr: keep the N highest-scoring prompts")
    size.add_argument("--threshold", type=float, help="limr: keep prompts scoring above T (the paper: 0.6)")
    parser.add_argument("--min-visits", type=int, default=LIMR_MIN_VISITS,
                        help=f"prompts recorded fewer times are excluded (limr needs at least {LIMR_MIN_VISITS})")
    parser.add_argument("--reward-range", type=float, nargs=2, metavar=("MIN", "MAX"),
                        help="normalise rewards from this range to [0, 1] "
                        "(default: the run's lowest and highest reward)")
    parser.add_argument("--out", help="output dataset path (default <run>/subsets/<method>-<size|threshold>.jsonl)")
    parser.add_argument("--json", action="store_true",
                        help='print {"ok", "dataset", "provenance", "report", "selected", "text"} or {"ok": false, '
                        '"message", "text"} instead of the report')


def main(args: argparse.Namespace) -> int:
    """Exit 0 with the subset written, 2 when refused (nothing written)."""
    run_dir = Path(args.run_dir)
    try:
        result = _main(run_dir, args)
    except SelectionRefused as exc:
        if args.json:
            print(json.dumps({"ok": False, "message": str(exc), "text": exc.report}))
        else:
            if exc.report:
                print(exc.report)
            print(f"rlstudio select-subset: {exc}\nnothing written", file=sys.stderr)
        return 2
    print(json.dumps({"ok": True, **result}) if args.json else result["text"])
    return 0


def _main(run_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    if args.method == "limr" and args.size is None and args.threshold is None:
        raise SelectionRefused("--method limr needs --size N or --threshold T")
    if args.method != "limr" and (args.size is not None or args.threshold is not None):
        raise SelectionRefused(f"--size and --threshold apply to --method limr, not {args.method}")
    if args.size is not None and args.size <= 0:
        raise SelectionRefused(f"--size must be a positive integer, got {args.size}")
    if args.method == "limr" and args.min_visits < LIMR_MIN_VISITS:
        raise SelectionRefused(f"--min-visits must be at least {LIMR_MIN_VISITS} for limr, got {args.min_visits}")
    if args.reward_range is not None and args.reward_range[1] <= args.reward_range[0]:
        raise SelectionRefused(f"--reward-range MIN MAX needs MIN < MAX, got {args.reward_range}")
    try:
        manifest = read_manifest(run_dir)
    except (FileNotFoundError, ValueError) as exc:
        raise SelectionRefused(f"{run_dir}: not a run directory ({exc})") from None

    data = run_trajectories(run_dir, tuple(args.reward_range) if args.reward_range else None)
    selection = select(data, args.method, args.size, args.threshold, args.min_visits)
    raw, held_out = _source_rows(manifest)
    out_of_range = [i for i in selection.selected if i >= len(raw)]
    if out_of_range:
        raise SelectionRefused(f"the run's data has {len(raw)} rows but the shards name row {out_of_range[0]}: "
                               "the data changed since the run was recorded")
    if not selection.selected:
        raise SelectionRefused("no prompt was selected (see the report); lower --threshold or raise --size",
                               report(run_dir, data, selection, len(raw), None, held_out))

    out = Path(args.out) if args.out else runformat.RunPaths(run_dir).subsets / f"{_name(args)}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = raw.select(selection.selected).to_list()
    atomic_write_bytes(out, "".join(json.dumps(r, default=str) + "\n" for r in rows).encode("utf-8"))
    provenance = _provenance(run_dir, manifest, args, data, selection, out)
    atomic_write_bytes(out.with_suffix(".provenance.json"), json.dumps(provenance, indent=2).encode("utf-8"))
    text = report(run_dir, data, selection, len(raw), out, held_out)
    atomic_write_bytes(out.with_suffix(".report.txt"), (text + "\n").encode("utf-8"))
    return {"dataset": str(out), "provenance": str(out.with_suffix(".provenance.json")),
            "report": str(out.with_suffix(".report.txt")), "selected": len(selection.selected), "text": text}


def _name(args: argparse.Namespace) -> str:
    if args.size is not None:
        return f"{args.method}-size{args.size}"
    if args.threshold is not None:
        return f"{args.method}-t{args.threshold:g}"
    return args.method


def _source_rows(manifest: dict[str, Any]):
    """(the source rows, how many of them the run held out for evaluation)."""
    from rlstudio.data import load_raw
    from rlstudio.train import config_from_manifest

    config = config_from_manifest(manifest)
    held_out = 0
    if config.data.eval_fraction > 0:
        from rlstudio.data import load_dataset

        held_out = len(load_dataset(config)[1])
    return load_raw(config), held_out


def _provenance(run_dir: Path, manifest: dict[str, Any], args: argparse.Namespace, data: RunTrajectories,
                selection: Selection, out: Path) -> dict[str, Any]:
    def number(x: float) -> float | None:
        return x if math.isfinite(x) else None

    return {
        "format": SUBSET_FORMAT,
        "createdAt": utc_now(),
        "run": {"id": manifest.get("id"), "dir": str(run_dir.resolve()), "configPath": manifest.get("configPath"),
                "data": manifest.get("config", {}).get("data")},
        "method": selection.method,
        "parameters": {"size": args.size, "threshold": args.threshold, "minVisits": args.min_visits,
                       "rewardRange": list(data.reward_range)},
        "dataset": out.name,
        "rows": [{"dataset_index": i, "score": number(selection.scores[i]), "steps": data.steps[i],
                  "rewards": data.trajectories[i]} for i in selection.selected],
        "excluded": {str(i): reason for i, reason in sorted(selection.excluded.items())},
    }
