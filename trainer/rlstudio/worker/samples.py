"""Samples for the Reward Lab: a run's recorded rollouts at a step, or the rows of a dataset file.

Recorded rollouts carry the prompt as fed to the model (chat template applied) but not the dataset
columns a reward function may need (`answer`, …). `from_run` reloads the run's dataset with the
trainer's own loader and gives each rollout the columns of the dataset row whose prompt text occurs
in the rollout's prompt; rollouts left unmatched get no columns, and the result says how many.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rlstudio import runformat

MAX_DATASET_ROWS = 5000
SAMPLE_COLUMNS = ("prompt_index", "group_index", "prompt", "completion", "reward", "rewards", "hint_ids")


class SamplesError(Exception):
    pass


def recorded_steps(run_dir: Path) -> list[int]:
    return [step for step, _ in runformat.shards(runformat.RunPaths(run_dir).rollouts)]


def from_run(run_dir: str | Path, step: int | None = None) -> dict[str, Any]:
    """{step, steps, samples: [{prompt, completion, columns, recorded}], rewards, baseDir, matched, warnings}."""
    run_dir = Path(run_dir)
    paths = runformat.RunPaths(run_dir)
    manifest = _read_manifest(run_dir)
    steps = recorded_steps(run_dir)
    if not steps:
        raise SamplesError(f"{paths.rollouts}: no recorded rollouts yet")
    if step is None:
        step = steps[-1]
    if step not in steps:
        raise SamplesError(f"{run_dir}: no rollouts recorded at step {step} (recorded: {steps[:20]})")
    shard = paths.shard(step)
    try:
        rows = runformat.read_shard(shard, SAMPLE_COLUMNS)
    except Exception as exc:
        raise SamplesError(f"{shard}: cannot read ({type(exc).__name__}: {exc})") from None

    config = manifest.get("config") or {}
    config_path = manifest.get("configPath")
    base_dir = str(Path(config_path).parent) if config_path else str(run_dir)
    warnings: list[str] = []
    dataset_rows = _dataset_rows(config, base_dir, warnings)
    samples, matched = [], 0
    for row in rows:
        columns_of_row = _match(row.get("prompt") or "", dataset_rows)
        matched += columns_of_row is not None
        samples.append({
            "prompt": row.get("prompt") or "",
            "completion": row.get("completion") or "",
            "columns": columns_of_row or {},
            "recorded": {"reward": row.get("reward"), "rewards": row.get("rewards") or {}},
            "promptIndex": row.get("prompt_index"),
            "groupIndex": row.get("group_index"),
            "hintIds": row.get("hint_ids") or [],
        })
    if dataset_rows and matched < len(samples):
        warnings.append(f"{len(samples) - matched} of {len(samples)} rollouts matched no dataset row: "
                        "they get no dataset columns")
    rewards = [{"name": r.get("name"), "ref": r.get("ref"), "onnx": r.get("onnx"), "weight": r.get("weight", 1.0),
                "args": r.get("args") or {}}
               for r in config.get("rewards") or []]
    return {"step": step, "steps": steps, "samples": samples, "rewards": rewards, "baseDir": base_dir,
            "matched": matched, "warnings": warnings}


def from_dataset(path: str | Path, limit: int = 256, completion_column: str = "completion") -> dict[str, Any]:
    """Rows of a .jsonl / .json / .parquet file: `prompt` and `completion_column` become the sample's text,
    every other column is passed to reward functions."""
    path = Path(path)
    rows = _read_rows(path, limit)
    samples = []
    for row in rows:
        prompt = row.pop("prompt", "")
        completion = row.pop(completion_column, "")
        samples.append({"prompt": _as_text(prompt), "completion": _as_text(completion), "columns": row})
    return {"samples": samples, "warnings": []}


def _read_rows(path: Path, limit: int) -> list[dict[str, Any]]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).slice(0, limit).to_pylist()
    rows = []
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise SamplesError(f"{path}:{number}: not JSON ({exc.msg})") from None
                if not isinstance(row, dict):
                    raise SamplesError(f"{path}:{number}: each line must be a JSON object")
                rows.append(row)
                if len(rows) >= limit:
                    break
    except OSError as exc:
        raise SamplesError(f"{path}: {exc.strerror}") from None
    return rows


def _read_manifest(run_dir: Path) -> dict[str, Any]:
    path = runformat.RunPaths(run_dir).manifest
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SamplesError(f"{path}: cannot read ({exc})") from None


def _dataset_rows(config: dict[str, Any], base_dir: str, warnings: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """(prompt text, other columns) of the run's dataset rows; [] with a warning when it cannot be loaded."""
    if not config.get("data"):
        return []
    try:
        from rlstudio.config import parse_config
        from rlstudio.data import load_dataset

        run_config = parse_config(json.dumps({k: v for k, v in config.items() if k != "config_path"}),
                                  "run.json config", base_dir=base_dir)
        train, evaluation = load_dataset(run_config)
    except Exception as exc:  # the dataset moved, a config key changed: rollouts still work without columns
        warnings.append(f"the run's dataset could not be loaded, so rollouts have no dataset columns: "
                        f"{type(exc).__name__}: {exc}")
        return []
    out = []
    for split in (train, evaluation):
        if split is None:
            continue
        for row in split.select(range(min(len(split), MAX_DATASET_ROWS))):
            row = dict(row)
            out.append((_prompt_text(row.pop("prompt", "")), row))
    return out


def _prompt_text(prompt: Any) -> str:
    if isinstance(prompt, list):
        users = [m.get("content", "") for m in prompt if isinstance(m, dict) and m.get("role") == "user"]
        return users[-1] if users else ""
    return str(prompt)


def _match(prompt: str, dataset_rows: list[tuple[str, dict[str, Any]]]) -> dict[str, Any] | None:
    """Columns of the dataset row with the longest prompt text contained in `prompt`."""
    best = None
    for text, columns in dataset_rows:
        if text and text in prompt and (best is None or len(text) > len(best[0])):
            best = (text, columns)
    return dict(best[1]) if best else None


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(m.get("content", "") if isinstance(m, dict) else str(m) for m in value)
    return "" if value is None else str(value)
