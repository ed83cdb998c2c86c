"""Periodic evaluation during training (`eval.every_n_steps`): EvalCallback, a TRL TrainerCallback.

Capture points:
- `on_step_end` at every N-th optimizer step: rank 0 samples the current policy (the model the
  trainer optimizes, unwrapped, in eval mode, no gradients) on the eval prompts exactly as
  `rlstudio eval` does, scores the samples with the run's rewards and writes them as
  `evals/<eval-id>/policy-step-<step>.parquet` plus the eval's summary.json; the other ranks wait
  at a barrier. It forces a log at that step.
- `on_log`: adds `eval/pass@<k>` (k = 1, 2, 4 … n) and `eval/mean_reward` to that step's logs,
  which RunCallback (added after this callback) writes to metrics.jsonl.
The eval folder is `evals/<YYYYMMDD-HHMMSS>-training/`, reused when the run is resumed.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from rlstudio.config import RunConfig
from rlstudio.evals.files import (
    EvalWriter,
    new_eval_id,
    summarize,
    write_prompts,
    write_summary,
)
from rlstudio.evals.passk import default_k, split_k
from rlstudio.runformat import EVAL_MANIFEST, EVALS, policy_step_name, read_eval_manifest

TRAINING_EVAL_NAME = "training"


class EvalCallback(TrainerCallback):
    def __init__(self, trainer, config: RunConfig, run_dir: Path, is_main: bool):
        self.trainer = trainer
        self.config = config
        self.settings = config.eval
        self.run_dir = Path(run_dir)
        self.is_main = is_main
        self.writer: EvalWriter | None = None
        self.prompts = None
        self.judge = None
        self.k: list[int] = []
        self.pending: dict[str, float | None] = {}

    def on_train_begin(self, args, state, control, **kwargs):
        if not self.is_main:
            return
        from rlstudio.evals.judge import Judge, resolve_pass_when
        from rlstudio.evals.prompts import load_eval_prompts
        from rlstudio.train import versions

        settings = self.settings
        self.k, _ = split_k(settings.k or default_k(settings.samples), settings.samples)
        pass_when, _ = resolve_pass_when(self.config, settings)
        self.judge = Judge(self.config, pass_when, settings)
        self.prompts = load_eval_prompts(self.config, settings, self.trainer.processing_class, settings.prompts)
        existing = sorted((self.run_dir / EVALS).glob(f"*-{TRAINING_EVAL_NAME}/{EVAL_MANIFEST}"))
        if existing:  # a resumed run continues its periodic eval
            eval_dir = existing[-1].parent
            self.writer = EvalWriter(eval_dir, read_eval_manifest(eval_dir))
            self.writer.write_manifest(status="running", endedAt=None, error=None)
            return
        eval_dir = self.run_dir / EVALS / new_eval_id(TRAINING_EVAL_NAME)
        eval_dir.mkdir(parents=True)
        max_new_tokens = settings.max_new_tokens_in(self.config)
        write_prompts(eval_dir, [{"prompt_id": i, "prompt": text, "answer": self.prompts.answer(i), "token_ids": ids}
                                 for i, (text, ids) in enumerate(zip(self.prompts.texts, self.prompts.token_ids,
                                                                     strict=True))])
        self.writer = EvalWriter.create(
            eval_dir, eval_dir.name, TRAINING_EVAL_NAME,
            params={"samples": settings.samples, "temperature": settings.temperature, "maxNewTokens": max_new_tokens,
                    "seed": settings.seed, "prompts": len(self.prompts.rows), "k": self.k,
                    "batchSize": settings.batch_size},
            promptSource=self.prompts.source, passWhen=pass_when.to_json(), rewardNames=self.judge.names,
            checkpoints=[], versions={key: v for key, v in versions().items() if key != "format"})

    def on_step_end(self, args, state, control, **kwargs):
        step = state.global_step
        if step % self.settings.every_n_steps:
            return control
        if self.is_main:
            self.pending = self._evaluate(step)
        self.trainer.accelerator.wait_for_everyone()
        control.should_log = True
        return control

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.pending and logs is not None:
            logs.update(self.pending)
            self.pending = {}

    def on_train_end(self, args, state, control, **kwargs):
        if self.writer is not None:
            self.writer.set_status("completed")
            self.writer.close()
            self.writer = None

    def _evaluate(self, step: int) -> dict[str, float | None]:
        from rlstudio.evals.generate import generate_samples
        from rlstudio.evals.runner import write_checkpoint_samples

        name = policy_step_name(step)
        settings, writer = self.settings, self.writer
        total = settings.samples * len(self.prompts.rows)
        entries = [c for c in writer.manifest["checkpoints"] if c["name"] != name]
        writer.write_manifest(checkpoints=[*entries, {"name": name, "status": "running", "samplesDone": 0,
                                                      "samplesTotal": total, "error": None}])
        model = self.trainer.accelerator.unwrap_model(self.trainer.model)
        was_training = model.training
        model.eval()
        try:
            rows = generate_samples(model, self.trainer.processing_class, self.prompts.token_ids, settings.samples,
                                    settings.temperature,
                                    settings.max_new_tokens_in(self.config),
                                    settings.batch_size, settings.seed)
        finally:
            model.train(was_training)
        out = write_checkpoint_samples(writer.dir, name, rows, self.prompts, self.judge,
                                       self.trainer.processing_class, settings)
        writer.checkpoint(name, status="done", samplesDone=len(out))
        done = [c["name"] for c in writer.manifest["checkpoints"] if c["status"] == "done"]
        summary = summarize(writer.dir, done, self.k, self.judge.names)
        write_summary(writer.dir, summary)
        writer.event("checkpoint", checkpoint=name, path=f"{name}.parquet")
        rewards = [r["reward"] for r in out if r["reward"] is not None and math.isfinite(r["reward"])]
        values: dict[str, Any] = {f"eval/pass@{k}": v for k, v in summary["checkpoints"][name]["passAtK"].items()}
        values["eval/mean_reward"] = sum(rewards) / len(rewards) if rewards else None
        return values
