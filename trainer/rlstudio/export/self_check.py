"""Every export checks itself: onnxruntime (Python, CPU) and torch on the same right-padded batch.

A causal-LM export fails when max |Δ logits| or max |Δ token logprob| exceeds FP32_TOLERANCE (fp32),
or the mean |Δ token logprob| exceeds INT8_MEAN_TOLERANCE (int8: dynamic quantization is lossy, and
its measured error is recorded for the extension to show). A reward export compares its scores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rlstudio.export.sources import ExportError

FP32_TOLERANCE = 1e-3
INT8_MEAN_TOLERANCE = 1.5  # nats, mean |Δ logprob| over the check texts' tokens
INT8_REWARD_TOLERANCE = 0.5  # max |Δ score|
CHECK_TEXTS = [
    "What is 2 + 3? Think step by step, then answer in <answer></answer> tags.",
    "The quick brown fox\tjumps over the lazy dog.\n\nÜnïcödé, 中文 and 🙂.",
]


def check_batch(tokenizer, texts: list[str]):
    """(input_ids, attention_mask) right-padded, int64."""
    import torch

    rows = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    width = max(len(r) for r in rows)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows], dtype=torch.int64)
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows], dtype=torch.int64)
    return ids, mask


def check_scoring(graph, tokenizer, model_path: Path, quantize: str | None) -> dict[str, Any]:
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
        raise ExportError(f"{model_path}: the export disagrees with torch beyond its bound: {result}")
    return result


def check_reward(graph, tokenizer, model_path: Path, quantize: str | None) -> dict[str, Any]:
    """Torch and onnxruntime on the same inputs: max |Δ score|."""
    import numpy as np
    import onnxruntime as ort
    import torch

    ids, mask = check_batch(tokenizer, CHECK_TEXTS)
    with torch.no_grad():
        expected = graph(ids, mask).numpy()
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})
    bound = INT8_REWARD_TOLERANCE if quantize == "int8" else FP32_TOLERANCE
    result = {"texts": len(CHECK_TEXTS), "maxAbsScoreDiff": float(np.abs(got - expected).max()),
              "bound": {"maxAbsScoreDiff": bound}}
    if not result["maxAbsScoreDiff"] <= bound:
        raise ExportError(f"{model_path}: the export disagrees with torch beyond its bound: {result}")
    return result
