"""DifficultySampler and the trainer mixin that feeds it (rlstudio.selection explains the method).

Positions: the sampler yields positions in the training dataset (which may be shuffled or split);
the run files name source rows (`dataset_index`, the dataset's `rlstudio_index` column). The
mixin maps between the two.
"""

from __future__ import annotations

import json
import math
from collections import deque
from pathlib import Path
from typing import Any

import torch
from accelerate.utils import broadcast_object_list, gather_object
from torch.utils.data import Sampler

from rlstudio.data import INDEX_COLUMN
from rlstudio.rollouts import _append_line
from rlstudio.selection import DifficultyTable, SelectionConfig, default_reward_range, replay_log

KEEP_ROUNDS = 16  # how long the sampler remembers why it drew a prompt (the loader draws ahead)
EMBEDDING_BATCH = 32


class DifficultySampler(Sampler[int]):
    """TRL's RepeatSampler layout with difficulty-targeted rounds: each round's `batch_size` prompts,
    each repeated `mini_repeat_count` times, the whole round repeated `repeat_count` times."""

    def __init__(self, table: DifficultyTable, batch_size: int, mini_repeat_count: int, repeat_count: int):
        self.table = table
        self.batch_size = batch_size
        self.mini_repeat_count = mini_repeat_count
        self.repeat_count = repeat_count
        self.rounds_per_epoch = table.size // batch_size
        self.round = 0
        # Rounds drawn and not yet generated (the loader draws ahead): [(round, {position: why})].
        self.pending: deque[tuple[int, dict[int, dict[str, Any]]]] = deque(maxlen=KEEP_ROUNDS)

    def __len__(self) -> int:
        return self.rounds_per_epoch * self.batch_size * self.mini_repeat_count * self.repeat_count

    def __iter__(self):
        for _ in range(self.rounds_per_epoch):
            choice = self.table.choose(self.round, self.batch_size)
            self.pending.append((self.round, {
                position: {"estimate": choice.estimates[i], "basis": choice.basis[i], "reason": choice.reason[i]}
                for i, position in enumerate(choice.indices)}))
            self.round += 1
            for _ in range(self.repeat_count):
                for position in choice.indices:
                    for _ in range(self.mini_repeat_count):
                        yield position

    def claim(self, positions: list[int]) -> dict[int, dict[str, Any]] | None:
        """Why each of a generated round's prompts was drawn: the oldest pending round with all of
        these prompts (rounds before it are dropped; with rollout replay only part of a round is
        generated). None if some prompt was drawn in no pending round: this process's sampler did
        not choose it."""
        wanted = set(positions)
        for i, (_, why) in enumerate(self.pending):
            if wanted <= set(why):
                for _ in range(i):
                    self.pending.popleft()
                return why
        merged: dict[int, dict[str, Any]] = {}
        for _, why in self.pending:  # e.g. a round generated again after a resume: the latest draws
            merged.update(why)
        return merged if wanted <= set(merged) else None


class SelectionMixin:
    """Mixed in before a GRPO trainer class that keeps `_last_rewards` (RecordingGRPOTrainer)."""

    _selection: SelectionConfig | None = None
    _selection_log: Path | None = None
    _resume_step: int | None = None
    _sampler: DifficultySampler | None = None

    def setup_selection(self, config: SelectionConfig, log: Path | None, resume_step: int | None) -> None:
        """`log`: selection.jsonl, on every rank (rank 0 writes it; all ranks read it on resume)."""
        self._selection = config
        self._selection_log = log
        self._resume_step = resume_step

    # --- sampler ------------------------------------------------------------------------------

    def _get_train_sampler(self, dataset=None):
        if self._selection is None or self._selection.strategy == "uniform":
            return super()._get_train_sampler(dataset)
        dataset = self.train_dataset if dataset is None else dataset
        if self._sampler is None:
            self._positions = {int(s): p for p, s in enumerate(dataset[INDEX_COLUMN])}
            self._sources = [int(s) for s in dataset[INDEX_COLUMN]]
            table = DifficultyTable(len(dataset), self._selection, self.args.seed, self._prompt_embeddings(dataset))
            if self._resume_step is not None and self._selection_log is not None:
                replay_log(self._selection_log, _SourceTable(table, self._positions), self._resume_step)
            self._sampler = DifficultySampler(
                table, batch_size=self.args.generation_batch_size // self.num_generations,
                mini_repeat_count=self.num_generations,
                repeat_count=self.num_iterations * self.args.steps_per_generation)
            weights = self.reward_weights.tolist()
            self._reward_range = tuple(self._selection.reward_range or default_reward_range(weights))
        return self._sampler

    @torch.no_grad()
    def _prompt_embeddings(self, dataset):
        """Mean-pooled last hidden states of the policy over each prompt's tokens (rank 0, broadcast)."""
        embeddings = None
        if self.accelerator.is_main_process:
            tokenizer = self.processing_class
            was_training = self.model.training
            self.model.eval()
            rows = []
            for start in range(0, len(dataset), EMBEDDING_BATCH):
                prompts = dataset[start:start + EMBEDDING_BATCH]["prompt"]
                texts = [tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True)
                         if isinstance(p, list) else p for p in prompts]
                batch = tokenizer(texts, padding=True, return_tensors="pt", add_special_tokens=False)
                batch = {k: v.to(self.model.device) for k, v in batch.items()}
                hidden = self.model(**batch, output_hidden_states=True).hidden_states[-1].float()  # (B, T, H)
                mask = batch["attention_mask"].unsqueeze(-1).float()
                rows.append(((hidden * mask).sum(1) / mask.sum(1).clamp(min=1)).cpu())
            self.model.train(was_training)
            embeddings = torch.cat(rows).double().numpy()
        if self.accelerator.num_processes > 1:
            embeddings = broadcast_object_list([embeddings], from_process=0)[0]
        return embeddings

    # --- observation --------------------------------------------------------------------------

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        if self._sampler is not None and self.model.training:
            self._observe(inputs)
        return output

    def _observe(self, inputs) -> None:
        local = [int(example[INDEX_COLUMN]) for example in inputs]
        sources = gather_object(local) if self.accelerator.num_processes > 1 else local
        weights = self.reward_weights.detach().float().cpu()
        per_func = self._last_rewards  # (N_global, F), NaN where a function gave no value
        total = (per_func * weights).nansum(dim=1)
        total[torch.isnan(per_func).all(dim=1)] = math.nan
        low, high = self._reward_range
        normalised = ((total - low) / (high - low)).clamp(0.0, 1.0).tolist()
        g = self.num_generations
        prompts = []
        for start in range(0, len(sources), g):
            source = sources[start]
            values = [v for v in normalised[start:start + g] if not math.isnan(v)]
            prompts.append((source, sum(values) / len(values) if values else None))
        step = self.state.global_step + 1
        why = self._sampler.claim([self._positions[source] for source, _ in prompts])
        if why is None:
            raise RuntimeError(
                f"prompt selection diverged across processes: source rows {[s for s, _ in prompts]} were generated "
                f"at step {step} but the sampler of process {self.accelerator.process_index} did not choose them all")
        records = []
        for source, observed in prompts:
            drawn = why[self._positions[source]]
            records.append({"dataset_index": source, "estimate": drawn["estimate"], "basis": drawn["basis"],
                            "reason": drawn["reason"], "observed": observed})
        self._log_selection(records)
        if self.accelerator.is_main_process and self._selection_log is not None:
            line = json.dumps({"step": step, "prompts": records}) + "\n"
            _append_line(self._selection_log, line.encode("utf-8"))
        self._sampler.table.observe([self._positions[s] for s, _ in prompts], [o for _, o in prompts])

    def _log_selection(self, records: list[dict[str, Any]]) -> None:
        """TRL metrics (averaged over the logging interval like TRL's own): the estimates' spread."""
        import numpy as np

        metrics = self._metrics["train"]
        estimates = np.array([r["estimate"] for r in records if r["estimate"] is not None], dtype=np.float64)
        observed = [r["observed"] for r in records if r["observed"] is not None]
        if len(estimates):
            for q in (10, 50, 90):
                metrics[f"selection/estimate_p{q}"].append(float(np.percentile(estimates, q)))
        if observed:
            metrics["selection/observed_mean"].append(float(np.mean(observed)))
        errors = [abs(r["estimate"] - r["observed"]) for r in records
                  if r["estimate"] is not None and r["observed"] is not None]
        if errors:
            metrics["selection/estimate_abs_error"].append(float(np.mean(errors)))


class _SourceTable:
    """A DifficultyTable seen through source row numbers (selection.jsonl names source rows)."""

    def __init__(self, table: DifficultyTable, positions: dict[int, int]):
        self.table, self.positions = table, positions

    def observe(self, sources: list[int], values: list[float | None]) -> None:
        kept = [(self.positions[s], v) for s, v in zip(sources, values) if s in self.positions]
        self.table.observe([p for p, _ in kept], [v for _, v in kept])


def with_selection(trainer_class: type) -> type:
    """`trainer_class` with difficulty-targeted selection (a no-op unless setup_selection turns it on)."""
    return type(f"Selecting{trainer_class.__name__}", (SelectionMixin, trainer_class), {})
