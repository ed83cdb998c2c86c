"""Regenerate the ONNX export fixture with the real exporter, and the numbers the TypeScript side checks it against.

    .venv/bin/python trainer/scripts/make_onnx_fixture.py     (from the repository root)

Produces
  test/fixtures/runs/completed-tiny/onnx/checkpoint-3/   `rlstudio export-onnx` of the fixture run's
                                                          checkpoint (model.onnx, tokenizer.json, export.json)
  test/fixtures/onnx/reference.json                       for each text of the tokenizer corpus: the
                                                          Python tokenizer's ids, and torch's per-token
                                                          logprobs and entropies (temperature 1 and 0.7)
"""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUN = REPO / "test" / "fixtures" / "runs" / "completed-tiny"
REFERENCE = REPO / "test" / "fixtures" / "onnx" / "reference.json"

# Whitespace runs, newlines, tabs, CJK, emoji (multi-token characters), chat special tokens.
CORPUS = [
    "What is 2 + 3? Think step by step, then answer in <answer></answer> tags.",
    "  two leading spaces,   three inside, trailing  ",
    "line one\nline two\n\n\nafter blank lines\r\nwindows line",
    "\ttab\tseparated\t\tvalues\t",
    "中文文本和日本語のテキスト，한국어도。",
    "emoji 🙂👍🏽 and a family 👨‍👩‍👧 and flags 🇫🇷",
    "<|im_start|>user\nWhat is 5 + 1?<|im_end|>\n<|im_start|>assistant\n"
    "<think>5 plus 1 makes 6.</think><answer>6</answer><|im_end|>",
    "Ünïcödé, émojis and ﬁ ligatures; math: ∑ x² ≤ ∞",
]


def main() -> None:
    import torch

    from rlstudio.export.onnx_export import export
    from rlstudio.export.scoring_graph import ScoringGraph
    from rlstudio.export.sources import load, resolve
    from rlstudio.runformat import RunPaths

    checkpoint = RunPaths(RUN).checkpoint(3)
    out = export(str(checkpoint.relative_to(Path.cwd())))
    model, tokenizer, _ = load(resolve(str(checkpoint)))
    graph = ScoringGraph(model).eval()
    texts = []
    for text in CORPUS:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        row = {"text": text, "ids": ids}
        for temperature in (1.0, 0.7):
            with torch.no_grad():
                logprobs, entropies, *_ = graph(torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.int64),
                                                torch.tensor(temperature))
            row[f"t{temperature}"] = {"logprobs": logprobs[0].tolist(), "entropies": entropies[0].tolist()}
        texts.append(row)
    REFERENCE.parent.mkdir(parents=True, exist_ok=True)
    reference = {"export": str(out.relative_to(REPO)), "texts": texts}
    REFERENCE.write_text(json.dumps(reference, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {out} and {REFERENCE}")


if __name__ == "__main__":
    main()
