"""Filesystem checks of a config: the files, modules and models it names must exist (checked without
loading them, so `rlstudio validate` stays fast)."""

from __future__ import annotations

import ast
import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING

from rlstudio.config_builder import did_you_mean

if TYPE_CHECKING:
    from rlstudio.config import RunConfig


def check_references(config: RunConfig) -> list[tuple[str, str]]:
    """Files, modules and models the config names must exist (checked without loading them)."""
    from rlstudio.rewards import BUILTINS  # light: no torch

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
    if config.data.reasoning_gym is not None and importlib.util.find_spec("reasoning_gym") is None:
        found.append(("data.reasoning_gym", "the reasoning-gym package is not installed"))
    for i, reward in enumerate(config.rewards):
        if reward.ref in BUILTINS:
            continue
        target, sep, func = reward.ref.rpartition(":")
        if not sep or not target or not func:
            found.append((f"rewards[{i}].ref", f"{reward.ref!r} is not a built-in "
                          f"({', '.join(BUILTINS)}){did_you_mean(reward.ref, BUILTINS)} nor `file.py:function`"))
        elif target.endswith(".py"):
            file = config.resolve(target)
            if not file.is_file():
                found.append((f"rewards[{i}].ref", f"reward file not found: {file}"))
            elif not _defines(file, func):
                found.append((f"rewards[{i}].ref", f"{file} defines no top-level function `{func}`"))
        elif importlib.util.find_spec(target.split(".")[0]) is None:
            found.append((f"rewards[{i}].ref", f"module {target!r} not found"))
    return found


def _looks_like_path(name: str) -> bool:
    return name.startswith((".", "/", "~")) or os.sep in name.strip("/").split("/", 1)[-1] or name.count("/") > 1


def _in_hf_cache(repo_id: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except Exception:  # an invalid repo id is simply not cached
        return False


def _defines(file: Path, func: str) -> bool:
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError):
        return True  # import will report the real error with its line
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return func in names
