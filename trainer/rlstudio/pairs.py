"""`rlstudio pairs`: a DPO dataset from a GRPO/RLOO run's recorded samples.

Rule, per prompt (step, prompt_index) of the chosen steps: score each recorded sample by one
reward (`--reward NAME`, a `rewards.<NAME>` column) or the total `reward`; samples without a value
are left out. The best sample is `chosen`, the worst `rejected` (the first of equals, in
group_index order). A group is skipped, and counted with its reason, when:

- `unscored`:     fewer than two samples have a value;
- `no_variance`:  every scored sample got the same value (this includes a best/worst tie);
- `same_text`:    best and worst have the same completion text (nothing to prefer);
- `small_margin`: best − worst < `--min-margin` (default 0: any positive margin is kept).

Output: JSONL whose first line is the provenance header `{"rlstudio_pairs": {run, steps, reward,
rule, kept, skipped}}` (rlstudio.preferences skips it), then one `{prompt, chosen, rejected,
chosen_reward, rejected_reward, step, prompt_index, chosen_group_index, rejected_group_index}` per
pair. `prompt` is the recorded prompt text (chat template already applied) and the answers keep
their special tokens, so train on the file with `data.chat_template: false`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlstudio import runformat
from rlstudio.runfiles import atomic_write_bytes
from rlstudio.runformat import RunPaths, read_manifest, read_shard, shards

SKIP_REASONS = ("unscored", "no_variance", "same_text", "small_margin")


@dataclass
class PairsResult:
    pairs: list[dict[str, Any]] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    steps: list[int] = field(default_factory=list)

    def summary(self) -> str:
        reasons = ", ".join(f"{self.skipped[r]} {r}" for r in SKIP_REASONS if self.skipped[r]) or "none"
        return f"{len(self.pairs)} pairs kept from {len(self.steps)} step(s); skipped prompts: {reasons}"


def recorded_steps(run_dir: Path) -> list[int]:
    return [step for step, _ in shards(RunPaths(run_dir).rollouts)]


def parse_steps(spec: str, available: list[int]) -> list[int]:
    """`all`, `last`, or a comma list of steps and ranges (`1-5,8`), kept only where recorded."""
    spec = spec.strip()
    if spec == "all":
        return list(available)
    if spec == "last":
        return available[-1:]
    wanted: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        try:
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                wanted.update(range(lo, hi + 1))
            elif part:
                wanted.add(int(part))
        except ValueError:
            raise ValueError(f"--steps: {part!r} is not a step or a range like 3-7 (or all, last)") from None
    return sorted(s for s in available if s in wanted)


def make_pairs(run_dir: Path, steps: list[int], reward: str | None = None, min_margin: float = 0.0) -> PairsResult:
    result = PairsResult(steps=list(steps))
    for step in steps:
        rows = read_shard(RunPaths(run_dir).shard(step))
        if rows and runformat.PREFERENCE_COLUMNS[0][0] in rows[0]:
            raise ValueError(f"step {step} holds preference pairs (a DPO run); make pairs from a GRPO or RLOO run")
        if reward is not None and rows and reward not in (rows[0].get("rewards") or {}):
            names = ", ".join(rows[0].get("rewards") or {}) or "none"
            raise ValueError(f"no reward named {reward!r} in step {step} (recorded rewards: {names})")
        groups: dict[int, list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(row["prompt_index"], []).append(row)
        for prompt_index, group in sorted(groups.items()):
            group.sort(key=lambda r: r["group_index"])
            pair, reason = _pair(group, reward, min_margin)
            if reason:
                result.skipped[reason] += 1
            else:
                result.pairs.append({"step": step, "prompt_index": prompt_index, **pair})
    return result


def _pair(group: list[dict[str, Any]], reward: str | None, min_margin: float) -> tuple[dict[str, Any], str | None]:
    scored = [(r, _score(r, reward)) for r in group]
    scored = [(r, s) for r, s in scored if s is not None]
    if len(scored) < 2:
        return {}, "unscored"
    best = max(scored, key=lambda rs: rs[1])  # max/min keep the first of equals
    worst = min(scored, key=lambda rs: rs[1])
    if best[1] == worst[1]:
        return {}, "no_variance"
    if best[0]["completion"] == worst[0]["completion"]:
        return {}, "same_text"
    if best[1] - worst[1] < min_margin:
        return {}, "small_margin"
    return {
        "prompt": best[0]["prompt"],
        "chosen": best[0]["completion"],
        "rejected": worst[0]["completion"],
        "chosen_reward": best[1],
        "rejected_reward": worst[1],
        "chosen_group_index": best[0]["group_index"],
        "rejected_group_index": worst[0]["group_index"],
    }, None


def _score(row: dict[str, Any], reward: str | None) -> float | None:
    value = row["reward"] if reward is None else (row.get("rewards") or {}).get(reward)
    return None if value is None or value != value else float(value)  # None and NaN: no value


def write_pairs(out: Path, run_dir: Path, result: PairsResult, reward: str | None, min_margin: float) -> None:
    manifest = read_manifest(run_dir)
    header = {
        "run": str(Path(run_dir).resolve()),
        "runId": manifest.get("id"),
        "algorithm": manifest.get("algorithm"),
        "steps": result.steps,
        "reward": reward or "reward (weighted total)",
        "rule": "per prompt: best-scored sample = chosen, worst = rejected; skip " + ", ".join(SKIP_REASONS),
        "minMargin": min_margin,
        "kept": len(result.pairs),
        "skipped": {r: result.skipped[r] for r in SKIP_REASONS},
        "createdAt": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    lines = [json.dumps({runformat.PAIRS_HEADER: header})] + [json.dumps(p, ensure_ascii=False) for p in result.pairs]
    atomic_write_bytes(Path(out), ("\n".join(lines) + "\n").encode("utf-8"))


def make_pairs_file(run_dir: str | os.PathLike, steps: str, reward: str | None, out: str | os.PathLike,
                    min_margin: float = 0.0) -> PairsResult:
    """The CLI's and the worker's `pairs/make`: ValueError naming what is wrong with the request."""
    folder = Path(run_dir)
    if not RunPaths(folder).manifest.is_file():
        raise ValueError(f"{folder} is not a run directory (no run.json)")
    available = recorded_steps(folder)
    chosen = parse_steps(steps, available)
    if not chosen:
        raise ValueError(f"no recorded step matches {steps!r} (recorded: {_ranges(available)})")
    result = make_pairs(folder, chosen, reward, min_margin)
    write_pairs(Path(out), folder, result, reward, min_margin)
    return result


def main(run_dir: str, steps: str, reward: str | None, out: str, min_margin: float = 0.0) -> int:
    import sys

    try:
        result = make_pairs_file(run_dir, steps, reward, out, min_margin)
    except ValueError as exc:
        print(f"rlstudio pairs: {exc}", file=sys.stderr)
        return 2
    print(f"{result.summary()} -> {os.fspath(out)}")
    return 0


def _ranges(steps: list[int]) -> str:
    if not steps:
        return "none"
    return f"{steps[0]}-{steps[-1]}" if steps == list(range(steps[0], steps[-1] + 1)) else ",".join(map(str, steps))
