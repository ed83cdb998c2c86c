"""Regenerate the ONNX reward-model fixture with the real exporter.

    .venv/bin/python trainer/scripts/make_onnx_reward_fixture.py     (from the repository root)

Produces test/fixtures/onnx/reward-tiny/: `rlstudio export-onnx` of a tiny sequence-classification
(reward) model (the test tiny model's config and tokenizer, a 1-label head, seed 0), as a run
config's `rewards: [{name, onnx: …}]` names it. The Reward Lab's tests score it in the scoring process.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "test" / "fixtures" / "onnx" / "reward-tiny"


def main() -> None:
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    from rlstudio.export.onnx_export import export
    from rlstudio.testing import make_tiny_model

    with tempfile.TemporaryDirectory() as tmp:
        tiny = Path(tmp) / "tiny"
        make_tiny_model(tiny)
        config = AutoConfig.from_pretrained(tiny, num_labels=1, architectures=["Qwen2ForSequenceClassification"])
        torch.manual_seed(0)
        AutoModelForSequenceClassification.from_config(config).save_pretrained(Path(tmp) / "reward")
        AutoTokenizer.from_pretrained(tiny).save_pretrained(Path(tmp) / "reward")
        if OUT.exists():
            shutil.rmtree(OUT)
        os.chdir(tmp)  # export.json names the source as given: "reward", not a temporary path
        out = export("reward", out=str(OUT), progress=lambda _: None)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
