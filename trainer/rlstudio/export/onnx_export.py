"""`rlstudio export-onnx SOURCE [--out DIR] [--quantize int8]`: a checkpoint as a scoring ONNX model.

    resolve SOURCE → load (LoRA merged, float32) → torch.onnx.export(dynamo=True) of the scoring
    graph (a causal LM) or the reward graph (a sequence-classification model) → optional int8
    dynamic quantization → self-check (onnxruntime vs torch, rlstudio.export.self_check) → export.json

The export is written into a hidden temporary folder beside the target and renamed into place at
the end, with export.json written last, so a reader never sees a half-written export under the
final name. The self-check fails the export when onnxruntime and torch disagree by more than
FP32_TOLERANCE on logits or per-token logprobs (fp32), or, for int8, when the mean per-token
logprob error exceeds INT8_MEAN_TOLERANCE (int8 dynamic quantization is lossy; its measured error
is recorded so the extension can show it).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from rlstudio import __version__
from rlstudio.export import sources
from rlstudio.export.scoring_graph import (
    INPUT_NAMES,
    OUTPUT_NAMES,
    REWARD_INPUT_NAMES,
    REWARD_OUTPUT_NAMES,
    TOP_K,
    RewardGraph,
    ScoringGraph,
)
from rlstudio.export.self_check import CHECK_TEXTS, check_batch, check_reward, check_scoring
from rlstudio.runfiles import atomic_write_bytes
from rlstudio.runformat import EXPORT_MANIFEST

EXPORT_FORMAT = "rlstudio.onnx-export/1"
PACKAGES = ("torch", "transformers", "onnx", "onnxscript", "onnxruntime", "peft")


def export(spec: str, out: str | None = None, quantize: str | None = None, progress=print) -> Path:
    source = sources.resolve(spec)
    target = Path(out).resolve() if out else _default_target(source.default_out, quantize)
    tmp = target.parent / f".{target.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        started = time.monotonic()
        progress(f"loading {source.spec}" + (" (merging its LoRA adapter)" if source.adapter else ""))
        model, tokenizer, task = sources.load(source)
        if not tokenizer.is_fast:
            raise sources.ExportError(f"{source.model_name}: the tokenizer has no tokenizer.json "
                                      "(a fast tokenizer is needed)")
        tokenizer.backend_tokenizer.save(str(tmp / "tokenizer.json"))
        reward = task == sources.SEQUENCE_CLASSIFICATION
        graph = (RewardGraph(model) if reward else ScoringGraph(model)).eval()
        progress(f"exporting the {'reward' if reward else 'scoring'} graph (torch.onnx.export, dynamo)")
        _export_graph(graph, tokenizer, tmp / "model.onnx", reward)
        if quantize == "int8":
            progress("quantizing to int8 (onnxruntime dynamic quantization)")
            _quantize_int8(tmp)
        progress("checking onnxruntime against torch")
        check = (check_reward if reward else check_scoring)(graph, tokenizer, tmp / "model.onnx", quantize)
        manifest = _manifest(source, model, tokenizer, task, tmp, target, quantize, check, time.monotonic() - started)
        atomic_write_bytes(tmp / EXPORT_MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
        progress(f"exported to {target}")
        return target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------


def _default_target(default_out: Path, quantize: str | None) -> Path:
    return default_out.with_name(default_out.name + "-int8") if quantize == "int8" else default_out


def _export_graph(graph, tokenizer, path: Path, reward: bool) -> None:
    import warnings

    import torch

    warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.onnx")  # dynamic-axis naming notes
    ids, mask = check_batch(tokenizer, CHECK_TEXTS)
    batch, seq = torch.export.Dim("batch", min=1), torch.export.Dim("seq", min=2)
    axes = {0: batch, 1: seq}
    if reward:
        args, names, outputs = (ids, mask), REWARD_INPUT_NAMES, REWARD_OUTPUT_NAMES
        dynamic = {"input_ids": axes, "attention_mask": axes}
    else:
        args, names, outputs = (ids, mask, torch.tensor(1.0)), INPUT_NAMES, OUTPUT_NAMES
        dynamic = {"input_ids": axes, "attention_mask": axes, "temperature": None}
    with torch.no_grad():
        program = torch.onnx.export(graph, args, dynamo=True, input_names=names, output_names=outputs,
                                    dynamic_shapes=dynamic, optimize=True, verbose=False)
    program.save(str(path), external_data=True)


def _quantize_int8(folder: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32 = folder / "fp32"
    fp32.mkdir()
    for item in list(folder.iterdir()):
        if item.name.startswith("model.onnx"):
            os.replace(item, fp32 / item.name)
    quantize_dynamic(str(fp32 / "model.onnx"), str(folder / "model.onnx"), weight_type=QuantType.QInt8,
                     use_external_data_format=True)
    shutil.rmtree(fp32)


def _portable(path: str, target: Path) -> str:
    """A source inside the export's run as a path relative to the run (the run folder may be copied)."""
    run_dir = target.parent.parent
    try:
        return str(Path(path).resolve().relative_to(run_dir.resolve()))
    except ValueError:
        return path


def _manifest(source, model, tokenizer, task: str, folder: Path, target: Path, quantize, check,
              seconds: float) -> dict[str, Any]:
    import onnx

    proto = onnx.load(str(folder / "model.onnx"), load_external_data=False)
    opset = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), None)
    versions: dict[str, str | None] = {"rlstudio": __version__, "python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    config = model.config
    reward = task == sources.SEQUENCE_CLASSIFICATION
    return {
        "format": EXPORT_FORMAT,
        "source": {"spec": source.spec, "kind": source.kind, "model": _portable(source.model_name, target),
                   "adapter": _portable(str(source.adapter), target) if source.adapter else None,
                   "checksum": sources.checksum(source.weights)},
        "task": task,
        "architecture": (config.architectures or [type(model).__name__])[0],
        "opset": opset,
        "dtype": "float32",
        "quantization": quantize,
        "inputs": REWARD_INPUT_NAMES if reward else INPUT_NAMES,
        "outputs": REWARD_OUTPUT_NAMES if reward else OUTPUT_NAMES,
        "topK": None if reward else TOP_K,
        "numLabels": int(config.num_labels) if reward else None,
        "vocabSize": int(config.vocab_size),
        "maxLength": int(getattr(config, "max_position_embeddings", 0) or 0) or None,
        "temperature": source.temperature,
        "chatTemplate": tokenizer.chat_template if isinstance(tokenizer.chat_template, str) else None,
        "specialTokens": {"bos": tokenizer.bos_token, "eos": tokenizer.eos_token, "pad": tokenizer.pad_token},
        "files": {p.name: p.stat().st_size for p in sorted(folder.iterdir()) if p.is_file()},
        "check": check,
        "exportSeconds": round(seconds, 1),
        "versions": versions,
    }


def main(args) -> int:
    import signal

    # A cancelled export (SIGTERM from the extension) unwinds through export()'s cleanup.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        export(args.source, args.out, args.quantize, progress=lambda m: print(f"export-onnx: {m}", flush=True))
    except (sources.ExportError, FileNotFoundError, ValueError) as exc:
        print(f"rlstudio export-onnx: {exc}", file=sys.stderr)
        return 2
    return 0
