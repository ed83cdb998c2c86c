"""A reward model exported by `rlstudio export-onnx` (a sequence-classification export), as a reward function.

    rewards:
      - {name: rm, onnx: path/to/onnx/reward-model}

The trainer scores it with onnxruntime (Python); the extension's scoring process scores the same
export with onnxruntime-node. Both tokenize with the export's tokenizer.json through the `tokenizers`
library family (special tokens added), pad on the right with the pad token and read `scores[:, 0]`,
so they give the same numbers. The scored text is prompt + completion; conversational rows
(lists of messages) are rendered with the export's chat template first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rlstudio.runformat import EXPORT_MANIFEST

BATCH = 16


class OnnxRewardError(Exception):
    """The folder is not a usable reward export; the message names the file."""


class OnnxReward:
    def __init__(self, folder: str | Path):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.folder = Path(folder)
        manifest_path = self.folder / EXPORT_MANIFEST
        try:
            self.manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise OnnxRewardError(f"{manifest_path} is missing: not an export, or an interrupted one; export again "
                                  "(rlstudio export-onnx)") from None
        if self.manifest.get("task") != "sequence-classification":
            task = self.manifest.get("task")
            raise OnnxRewardError(f"{manifest_path}: task {task!r}; an ONNX reward needs an export of a "
                                  "sequence-classification (reward) model")
        self.tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        pad = (self.manifest.get("specialTokens") or {}).get("pad")
        self.pad_id = self.tokenizer.token_to_id(pad) if pad else 0
        self.session = ort.InferenceSession(str(self.folder / "model.onnx"), providers=["CPUExecutionProvider"])
        self.chat_template = self.manifest.get("chatTemplate")

    def scores(self, texts: list[str]) -> list[list[float]]:
        """One row of `numLabels` scores per text."""
        import numpy as np

        out: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            rows = [e.ids for e in self.tokenizer.encode_batch(texts[start : start + BATCH], add_special_tokens=True)]
            width = max(len(r) for r in rows)
            ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for i, row in enumerate(rows):
                ids[i, : len(row)] = row
                mask[i, : len(row)] = 1
            (scores,) = self.session.run(["scores"], {"input_ids": ids, "attention_mask": mask})
            out += scores.tolist()
        return out

    def text(self, prompt: Any, completion: Any) -> str:
        if isinstance(completion, str) and isinstance(prompt, str):
            return prompt + completion
        if self.chat_template is None:
            raise OnnxRewardError(f"{self.folder / EXPORT_MANIFEST}: conversational rows need a chat template and the "
                                  "export has none")
        import jinja2

        messages = list(prompt) + (list(completion) if not isinstance(completion, str)
                                   else [{"role": "assistant", "content": completion}])
        return jinja2.Environment().from_string(self.chat_template).render(messages=messages,
                                                                            add_generation_prompt=False)

    def __call__(self, completions: list[Any], prompts: list[Any] | None = None, **kwargs) -> list[float]:
        prompts = prompts if prompts is not None else [""] * len(completions)
        return [row[0] for row in self.scores([self.text(p, c) for p, c in zip(prompts, completions)])]
