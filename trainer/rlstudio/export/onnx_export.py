"""`rlstudio export-onnx SOURCE [--out DIR] [--quantize int8]`: a checkpoint as a scoring ONNX model.

    resolve SOURCE → load (LoRA merged, float32) → torch.onnx.export(dynamo=True) of the scoring
    graph → optional int8 dynamic quantization → self-check (onnxruntime vs torch) → export.json

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
from rlstudio.export.scoring_graph import INPUT_NAMES, OUTPUT_NAMES, TOP_K, ScoringGraph
from rlstudio.runfiles import EXPORT_MANIFEST, atomic_write_bytes

EXPORT_FORMAT = "rlstudio.onnx-export/1"
FP32_TOLERANCE = 1e-3
INT8_MEAN_TOLERANCE = 1.5  # nats, mean |Δ logprob| over the check texts' tokens
CHECK_TEXTS = [
    "What is 2 + 3? Think step by step, then answer in <answer></answer> tags.",
    "The quick brown fox\tjumps over the lazy dog.\n\nÜnïcödé, 中文 and 🙂.",
]
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
        model, tokenizer = sources.load(source)
        if not tokenizer.is_fast:
            raise sources.ExportError(f"{source.model_name}: the tokenizer has no tokenizer.json "
                                      "(a fast tokenizer is needed)")
        tokenizer.backend_tokenizer.save(str(tmp / "tokenizer.json"))
        graph = ScoringGraph(model).eval()
        progress("exporting the scoring graph (torch.onnx.export, dynamo)")
        _export_graph(graph, tokenizer, tmp / "model.onnx")
        if quantize == "int8":
            progress("quantizing to int8 (onnxruntime dynamic quantization)")
            _quantize_int8(tmp)
        progress("checking onnxruntime against torch")
        check = self_check(graph, tokenizer, tmp / "model.onnx", quantize)
        manifest = _manifest(source, model, tokenizer, tmp, target, quantize, check, time.monotonic() - started)
        atomic_write_bytes(tmp / EXPORT_MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
        progress(f"exported to {target}")
        return target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_batch(tokenizer, texts: list[str]):
    """(input_ids, attention_mask) right-padded, int64."""
    import torch

    rows = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    width = max(len(r) for r in rows)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows], dtype=torch.int64)
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows], dtype=torch.int64)
    return ids, mask


def self_check(graph: ScoringGraph, tokenizer, model_path: Path, quantize: str | None) -> dict[str, Any]:
    """Torch and onnxruntime (CPU) on the same inputs: max |Δ logits| and max / mean |Δ token logprob|."""
    import numpy as np
    import onnxruntime as ort
    import torch

    ids, mask = check_batch(tokenizer, CHECK_TEXTS)
    temperature = torch.tensor(1.0)
    with torch.no_grad():
        expected = graph(ids, mask, temperature)
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy(),
                             "temperature": np.array(1.0, dtype=np.float32)})
    valid = mask.numpy().astype(bool)
    target_valid = valid[:, 1:]
    d_logits = np.abs(got[4] - expected[4].numpy())[valid]
    d_logprobs = np.abs(got[0] - expected[0].numpy())[target_valid]
    result = {
        "texts": len(CHECK_TEXTS),
        "tokens": int(valid.sum()),
        "maxAbsLogitDiff": float(d_logits.max()),
        "maxAbsLogprobDiff": float(d_logprobs.max()),
        "meanAbsLogprobDiff": float(d_logprobs.mean()),
    }
    if quantize == "int8":
        result["bound"] = {"meanAbsLogprobDiff": INT8_MEAN_TOLERANCE}
        ok = result["meanAbsLogprobDiff"] <= INT8_MEAN_TOLERANCE
    else:
        result["bound"] = {"maxAbsLogitDiff": FP32_TOLERANCE, "maxAbsLogprobDiff": FP32_TOLERANCE}
        ok = result["maxAbsLogitDiff"] <= FP32_TOLERANCE and result["maxAbsLogprobDiff"] <= FP32_TOLERANCE
    if not ok or not np.isfinite([result["maxAbsLogitDiff"], result["maxAbsLogprobDiff"]]).all():
        raise sources.ExportError(f"{model_path}: the export disagrees with torch beyond its bound: {result}")
    return result


# ---------------------------------------------------------------------------------------------


def _default_target(default_out: Path, quantize: str | None) -> Path:
    return default_out.with_name(default_out.name + "-int8") if quantize == "int8" else default_out


def _export_graph(graph: ScoringGraph, tokenizer, path: Path) -> None:
    import warnings

    import torch

    warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.onnx")  # dynamic-axis naming notes
    ids, mask = check_batch(tokenizer, CHECK_TEXTS)
    batch, seq = torch.export.Dim("batch", min=1), torch.export.Dim("seq", min=2)
    dynamic = {"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}, "temperature": None}
    with torch.no_grad():
        program = torch.onnx.export(graph, (ids, mask, torch.tensor(1.0)), dynamo=True, input_names=INPUT_NAMES,
                                    output_names=OUTPUT_NAMES, dynamic_shapes=dynamic, optimize=True, verbose=False)
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


def _manifest(source, model, tokenizer, folder: Path, target: Path, quantize, check, seconds: float) -> dict[str, Any]:
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
    return {
        "format": EXPORT_FORMAT,
        "source": {"spec": source.spec, "kind": source.kind, "model": _portable(source.model_name, target),
                   "adapter": _portable(str(source.adapter), target) if source.adapter else None,
                   "checksum": sources.checksum(source.weights)},
        "task": "causal-lm-scoring",
        "architecture": (config.architectures or [type(model).__name__])[0],
        "opset": opset,
        "dtype": "float32",
        "quantization": quantize,
        "inputs": INPUT_NAMES,
        "outputs": OUTPUT_NAMES,
        "topK": TOP_K,
        "vocabSize": int(model.get_output_embeddings().weight.shape[0]),
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
