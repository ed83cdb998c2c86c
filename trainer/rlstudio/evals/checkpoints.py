"""Which models an eval can load: `base` (the run's model untrained; for LoRA the base without
adapters) and the run's `checkpoints/checkpoint-<step>` folders; `latest` names the newest one."""

from __future__ import annotations

from pathlib import Path

from rlstudio.config import RunConfig
from rlstudio.runformat import BASE_CHECKPOINT as BASE
from rlstudio.runformat import RunPaths, checkpoint_step

LATEST = "latest"


class UnknownCheckpoint(ValueError):
    pass


def available(run_dir: Path | None) -> list[str]:
    """`base` and the checkpoints that hold weights (full model or LoRA adapter), oldest first."""
    found = []
    if run_dir is not None:
        for path in RunPaths(run_dir).checkpoints.glob("checkpoint-*"):
            step = checkpoint_step(path.name)
            if step is not None and ((path / "config.json").exists() or (path / "adapter_config.json").exists()):
                found.append((step, path.name))
    return [BASE] + [name for _, name in sorted(found)]


def resolve(run_dir: Path | None, requested: list[str]) -> list[str]:
    """Checkpoint names in the order asked (duplicates dropped); raise UnknownCheckpoint naming what exists."""
    names = available(run_dir)
    out: list[str] = []
    unknown = []
    for name in requested:
        name = name.strip()
        if name == LATEST:
            if len(names) == 1:
                unknown.append(name)
                continue
            name = names[-1]
        if name not in names:
            unknown.append(name)
        elif name not in out:
            out.append(name)
    if unknown:
        latest = f" (latest = {names[-1]})" if len(names) > 1 else ""
        where = f"the run {run_dir}" if run_dir is not None else "a config without a run"
        raise UnknownCheckpoint(f"unknown checkpoint {', '.join(map(repr, unknown))}: {where} has "
                                f"{', '.join(names)}{latest}")
    return out


def load(config: RunConfig, run_dir: Path | None, name: str):
    """(model in eval mode, tokenizer of the run) for a checkpoint name."""
    import torch

    from rlstudio.model import load_model

    model, tokenizer, _ = load_model(config)  # the run's tokenizer and base weights
    if name != BASE:
        folder = RunPaths(run_dir).checkpoints / name
        if (folder / "adapter_config.json").exists():
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, str(folder)).merge_and_unload()
        else:
            from transformers import AutoModelForCausalLM

            del model
            model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=getattr(torch, config.model.dtype),
                                                         local_files_only=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    return model.to(device).eval(), tokenizer
