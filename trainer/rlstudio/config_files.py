"""Filesystem checks of a config: the files, modules and models it names must exist (checked without
loading them, so `rlstudio validate` stays fast)."""

from __future__ import annotations

import ast
import importlib.util
import os
import string
from pathlib import Path
from typing import TYPE_CHECKING

from rlstudio.config_builder import did_you_mean
from rlstudio.jsonl_rows import first_problem
from rlstudio.runformat import EXPORT_MANIFEST, PREFERENCE_ROLES

if TYPE_CHECKING:
    from rlstudio.config import RunConfig


def check_references(config: RunConfig) -> list[tuple[str, str]]:
    """Files, modules and models the config names must exist (checked without loading them)."""
    found = []
    name = config.model.name
    if name.startswith("embedded:"):
        from rlstudio.embedded import EmbeddedModelError, gguf_path  # light: no torch

        try:
            gguf_path(name)
        except EmbeddedModelError as exc:
            found.append(("model.name", str(exc)))
    elif _looks_like_path(name) or config.resolve(name).exists():
        folder = config.resolve(name)
        if not folder.is_dir():
            found.append(("model.name", f"model folder not found: {folder}"))
        elif not (folder / "config.json").exists():
            found.append(("model.name", f"{folder} has no config.json (not a saved transformers model)"))
    elif not _in_hf_cache(name):
        found.append(
            ("model.name", f"{name!r} is neither a local folder nor a model in the local Hugging Face cache "
             "(nothing is downloaded; save the model to a folder or use embedded:smollm2-135m)")
        )
    if config.data.path is not None:
        data_path = config.resolve(config.data.path)
        if not data_path.exists():
            found.append(("data.path", f"dataset not found: {data_path}"))
        elif data_path.is_file() and data_path.suffix not in (".jsonl", ".parquet", ".json"):
            found.append(("data.path", f"unsupported dataset file {data_path.name}: use .jsonl, .parquet or a "
                                       "datasets folder"))
        elif data_path.suffix == ".jsonl":
            problem, columns = first_problem(data_path)
            if problem:
                found.append(("data.path", problem))
            elif columns is not None:
                found.extend(_column_problems(config, data_path, columns))
    if config.data.reasoning_gym is not None and importlib.util.find_spec("reasoning_gym") is None:
        found.append(("data.reasoning_gym", "the reasoning-gym package is not installed"))
    found.extend(_reasoning_gym_columns(config))
    found.extend(_reward_problems(config, config.rewards, "rewards"))
    if config.eval is not None and config.eval.rewards:
        found.extend(_reward_problems(config, config.eval.rewards, "eval.rewards"))
    return found


def _reward_problems(config: RunConfig, rewards: list, key: str) -> list[tuple[str, str]]:
    """Reward entries' files, functions, modules and ONNX exports must exist (no user code runs)."""
    from rlstudio.rewards import BUILTINS  # light: no torch

    found = []
    for i, reward in enumerate(rewards):
        if reward.onnx is not None:
            manifest = config.resolve(reward.onnx) / EXPORT_MANIFEST
            if not manifest.is_file():
                found.append((f"{key}[{i}].onnx", f"{manifest} not found: export the reward model with "
                                                    "`rlstudio export-onnx MODEL_DIR --out DIR`"))
            continue
        if reward.ref is None or reward.ref in BUILTINS:
            continue
        target, sep, func = reward.ref.rpartition(":")
        if not sep or not target or not func:
            found.append((f"{key}[{i}].ref", f"{reward.ref!r} is not a built-in "
                          f"({', '.join(BUILTINS)}){did_you_mean(reward.ref, BUILTINS)} nor `file.py:function`"))
        elif target.endswith(".py"):
            file = config.resolve(target)
            if not file.is_file():
                found.append((f"{key}[{i}].ref", f"reward file not found: {file}"))
            else:
                problem = _reward_file_problem(file, func)
                if problem:
                    found.append((f"{key}[{i}].ref", problem))
        elif importlib.util.find_spec(target.split(".")[0]) is None:
            found.append((f"{key}[{i}].ref", f"module {target!r} not found"))
    return found


def _looks_like_path(name: str) -> bool:
    return name.startswith((".", "/", "~")) or os.sep in name.strip("/").split("/", 1)[-1] or name.count("/") > 1


def _in_hf_cache(repo_id: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except Exception:  # an invalid repo id is simply not cached
        return False


def _column_problems(config: RunConfig, path: Path, columns: set[str]) -> list[tuple[str, str]]:
    """Columns the config names (template placeholders, prompt_column, hints.id_column) must exist."""
    found = []
    names = sorted(columns)
    if config.data.template is not None:
        for _, field, _, _ in string.Formatter().parse(config.data.template):
            name = field.split(".")[0].split("[")[0] if field else None
            if name and name not in columns:
                found.append(("data.template", f"placeholder {{{field}}} names no column of {path.name} "
                              f"(columns: {', '.join(names)}){did_you_mean(name, names)}"))
    elif config.data.prompt_column not in columns:
        found.append(("data.prompt_column", f"{path.name} has no column {config.data.prompt_column!r} "
                      f"(columns: {', '.join(names)}){did_you_mean(config.data.prompt_column, names)}"))
    if config.algorithm.name == "dpo":
        for role in PREFERENCE_ROLES:
            if role not in columns:
                found.append(("data.path", f"{path.name} has no column {role!r}: DPO reads prompt, chosen and "
                              f"rejected (columns: {', '.join(names)})"))
    if config.hints is not None and config.hints.mode != "none" and config.hints.id_column not in columns:
        found.append(("hints.id_column", f"{path.name} has no column {config.hints.id_column!r} "
                      f"(columns: {', '.join(names)}){did_you_mean(config.hints.id_column, names)}"))
    return found


def _reward_file_problem(file: Path, func: str) -> str | None:
    """A reward file's syntax error, a top-level import that cannot be found, or a missing function —
    found without running it (validate executes no user code)."""
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
    except SyntaxError as exc:
        return f"{file} line {exc.lineno}: SyntaxError: {exc.msg}"
    except UnicodeDecodeError as exc:
        return f"{file}: not UTF-8 text ({exc.reason})"
    names = set()
    for node in tree.body:  # module level only: imports guarded by try/if are the author's business
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if node.module and not node.level else []
            for module in modules:
                top = module.split(".")[0]
                if not (file.parent / f"{top}.py").exists() and not (file.parent / top).is_dir() \
                        and importlib.util.find_spec(top) is None:
                    return f"{file} line {node.lineno}: imports `{top}`, which is not installed"
    if func not in names:
        return f"{file} defines no top-level function `{func}`"


def _reasoning_gym_columns(config: RunConfig) -> list[tuple[str, str]]:
    """The `reasoning_gym` reward scores with the rows' `answer` and `metadata` (which task made the row):
    a `data.reasoning_gym` task has them, and so has a data file of its rows (a subset written by
    `rlstudio select-subset` from such a run). Checked for .jsonl files (first row) and Parquet files."""
    if config.data.path is None:
        return []
    data_path = config.resolve(config.data.path)
    columns = _data_columns(data_path)
    missing = [c for c in ("answer", "metadata") if columns is not None and c not in columns]
    if not missing:
        return []
    message = (f"the reasoning_gym reward needs the `answer` and `metadata` columns of reasoning-gym rows (use "
               f"`data.reasoning_gym`, or a subset of such a run); {data_path.name} lacks {', '.join(missing)}")
    return [(f"rewards[{i}].ref", message) for i, r in enumerate(config.rewards) if r.ref == "reasoning_gym"]


def _data_columns(path: Path) -> list[str] | None:
    """Column names of a .jsonl file's first row or a Parquet file; None when not cheaply known."""
    if path.suffix == ".jsonl" and path.is_file():
        _, columns = first_problem(path)  # a problem is reported by the data checks with its own message
        return sorted(columns) if columns is not None else None
    try:
        if path.suffix == ".parquet" and path.is_file():
            import pyarrow.parquet as pq

            return list(pq.read_schema(path).names)
    except (OSError, ValueError):
        return None  # reported by the data loader with its own message
    return None
