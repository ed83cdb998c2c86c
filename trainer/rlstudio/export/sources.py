"""What `rlstudio export-onnx SOURCE` can export, resolved to a loaded model and tokenizer.

    RUN_DIR/checkpoints/checkpoint-40   a checkpoint of a run (a LoRA adapter is merged into its base)
    RUN_DIR:latest                      the run's highest complete checkpoint
    RUN_DIR:base                        the model the run started from (run.json config model.name)
    path/to/model-folder                a local transformers model folder
    embedded:smollm2-135m               an embedded model (rlstudio.embedded)

Nothing is downloaded: every load is `local_files_only`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from rlstudio.runfiles import last_checkpoint, read_manifest
from rlstudio.runformat import CHECKPOINTS, RunPaths


class ExportError(Exception):
    """A source that cannot be exported; the message says which file and what to do."""


@dataclass
class Source:
    spec: str  # what the user passed
    kind: str  # "checkpoint" | "base" | "folder" | "embedded"
    model_name: str  # what transformers loads (folder or embedded name)
    adapter: Path | None  # a LoRA checkpoint to merge into model_name
    default_out: Path
    weights: list[Path]  # files the source checksum covers
    temperature: float  # the run's sampling temperature (1.0 outside a run)


def resolve(spec: str, cwd: Path | None = None) -> Source:
    cwd = cwd or Path.cwd()
    if spec.startswith("embedded:"):
        return Source(spec, "embedded", spec, None, cwd / "onnx" / spec.removeprefix("embedded:"), [], 1.0)
    run_part, sep, tag = spec.rpartition(":")
    if sep and tag in ("latest", "base") and run_part:
        run_dir = Path(run_part).resolve()
        if tag == "base":
            base, temperature = _run_base(run_dir)
            return _from_base(spec, base, run_dir, temperature)
        found = last_checkpoint(run_dir)
        if found is None:
            raise ExportError(f"{RunPaths(run_dir).checkpoints}: no complete checkpoint (one with trainer_state.json)")
        return _from_checkpoint(spec, found[1])
    path = Path(spec).resolve()
    if not path.exists():
        raise ExportError(f"{path}: no such checkpoint or model folder")
    if path.parent.name == CHECKPOINTS and RunPaths(path.parent.parent).manifest.exists():
        return _from_checkpoint(spec, path)
    if not (path / "config.json").exists():
        raise ExportError(f"{path}: not a model folder (no config.json)")
    return Source(spec, "folder", str(path), None, cwd / "onnx" / path.name, _weight_files(path), 1.0)


CAUSAL_LM = "causal-lm-scoring"
SEQUENCE_CLASSIFICATION = "sequence-classification"


def load(source: Source):
    """(model in eval mode, float32, LoRA merged; tokenizer; task: CAUSAL_LM or SEQUENCE_CLASSIFICATION)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

    if source.model_name.startswith("embedded:"):
        from rlstudio.embedded import load_embedded

        model, tokenizer = load_embedded(source.model_name, "float32")
        task = CAUSAL_LM
    else:
        tokenizer_dir = source.adapter if source.adapter and (source.adapter / "tokenizer.json").exists() else None
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir or source.model_name, local_files_only=True)
        architectures = AutoConfig.from_pretrained(source.model_name, local_files_only=True).architectures or []
        if any(a.endswith("ForCausalLM") for a in architectures):
            task, auto = CAUSAL_LM, AutoModelForCausalLM
        elif any(a.endswith("ForSequenceClassification") for a in architectures) and source.adapter is None:
            task, auto = SEQUENCE_CLASSIFICATION, AutoModelForSequenceClassification  # a reward model
        else:
            raise ExportError(f"{source.model_name}/config.json: architectures {architectures} has neither a causal-LM "
                              "head (…ForCausalLM) nor a sequence-classification head (…ForSequenceClassification)")
        model = auto.from_pretrained(source.model_name, dtype=torch.float32, local_files_only=True)
    if source.adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(source.adapter)).merge_and_unload()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if task == SEQUENCE_CLASSIFICATION and model.config.pad_token_id is None:
        model.config.pad_token_id = tokenizer.pad_token_id  # pooling finds the last token before the padding
    return model.float().eval(), tokenizer, task


def checksum(paths: list[Path]) -> str | None:
    """sha256 over the source's weight files (names and bytes), None when there are none (embedded)."""
    if not paths:
        return None
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    return "sha256:" + digest.hexdigest()


# ---------------------------------------------------------------------------------------------


def _weight_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.suffix in (".safetensors", ".bin", ".gguf") and p.is_file()]


def _run_temperature(run_dir: Path) -> float:
    config = read_manifest(run_dir).get("config") or {}
    return float((config.get("algorithm") or {}).get("temperature", 1.0))


def _run_base(run_dir: Path) -> tuple[str, float]:
    """The run's starting model, resolved like the trainer does (relative to the config's folder)."""
    manifest = read_manifest(run_dir)
    config = manifest.get("config") or {}
    name = (config.get("model") or {}).get("name")
    if not name:
        raise ExportError(f"{RunPaths(run_dir).manifest}: config.model.name is missing")
    temperature = _run_temperature(run_dir)
    if name.startswith("embedded:"):
        return name, temperature
    config_path = manifest.get("configPath")
    base_dir = Path(config_path).parent if config_path else run_dir
    local = (base_dir / name) if not Path(name).is_absolute() else Path(name)
    if not local.exists():
        raise ExportError(f"{RunPaths(run_dir).manifest}: base model {name!r} not found at {local}")
    return str(local.resolve()), temperature


def _from_base(spec: str, base: str, run_dir: Path, temperature: float) -> Source:
    weights = [] if base.startswith("embedded:") else _weight_files(Path(base))
    return Source(spec, "base", base, None, RunPaths(run_dir).onnx_export("base"), weights, temperature)


def _from_checkpoint(spec: str, checkpoint: Path) -> Source:
    run_dir = checkpoint.parent.parent
    if not (checkpoint / "config.json").exists() and not (checkpoint / "adapter_config.json").exists():
        raise ExportError(f"{checkpoint}: no config.json or adapter_config.json (an incomplete checkpoint?)")
    out = RunPaths(run_dir).onnx_export(checkpoint.name)
    if (checkpoint / "adapter_config.json").exists():  # LoRA: merged into the run's base model
        base, temperature = _run_base(run_dir)
        return Source(spec, "checkpoint", base, checkpoint, out, _weight_files(checkpoint), temperature)
    return Source(spec, "checkpoint", str(checkpoint), None, out, _weight_files(checkpoint), _run_temperature(run_dir))
