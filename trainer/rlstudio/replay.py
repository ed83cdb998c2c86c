"""Rollout replay (`algorithm.replay`, GRPO and RLOO): a FIFO buffer of recent groups mixed into each batch.

docs/data-efficiency.md says what is chosen and why. `ReplayMixin` goes before the recording (and
selection) trainer classes, so each hook wraps theirs through `super()`; TRL's loss is unchanged.
A group is one prompt's num_generations completions, consecutive in the generation batch.

Capture points:

- `_generate_and_score_completions` (training only): of the generation batch's G groups (the data
  loader's prompts, each repeated num_generations times), k = min(round(fraction × G), G − 1,
  groups in the buffer) are taken from the buffer (uniformly at random, without replacement) and
  only the first G − k prompts are handed to TRL to generate and score; the last k prompts of
  the batch are not generated (the data loader has moved past them). After TRL returns:
    - GRPO: the fresh rows get `old_per_token_logps` when TRL did not compute it (it does only
      when num_iterations > 1 or steps_per_generation > gradient_accumulation_steps): TRL's own
      `_get_per_token_logps_and_entropies` under no_grad, the weights that generated them, so
      their ratio is 1 as in TRL. RLOO: TRL always computes the generating policy's `old_logps`
      (its loss takes a sequence-level ratio against it) and RecordingRLOOTrainer keeps the
      per-token `old_per_token_logps`; both are carried;
    - each fresh group is cut out (prompt_ids, prompt_mask, completion_ids, completion_mask,
      old_per_token_logps, ref_per_token_logps when beta > 0 (GRPO), tool_mask, old_logps (RLOO),
      advantages as computed at generation), trimmed of all-padding columns, moved to the CPU and, after the batch is
      built, pushed into the buffer with the step it was generated at and its recorded rewards,
      reward errors, extras, hint ids and source rows (from the recorder's `_Generation`);
    - the batch is the fresh rows followed by the replayed groups' rows, every per-row tensor
      padded (prompts on the left, completions on the right, TRL's padding values) and
      concatenated; GRPO's `num_items_in_batch` is recomputed from the combined loss mask. TRL's
      `_compute_loss` then takes the importance ratio of every row against its
      `old_per_token_logps` (RLOO: `old_logps`; replayed rows: the behaviour policy's, recorded at
      generation) with its own clipping (`epsilon`, `epsilon_high`).
  The replayed rows are tagged `rlstudio_replayed` / `rlstudio_born` and numbered after the fresh
  ones in `rlstudio_row`, their recorded values appended to the current `_Generation`, so the
  recorder writes them as rows of this step with `replayed` and `age`.
- Metrics (TRL's `_metrics`, averaged over the logging interval): `replay/fraction` (share of the
  batch's rows replayed), `replay/buffer_rows` (completions in the buffer after the step's groups
  were added), `replay/mean_age` (mean age in steps over the batch's rows, fresh rows counting 0).

- `_save_rng_state` (called by transformers' `_save_checkpoint` before trainer_state.json marks the
  checkpoint complete): the buffer and its sampling generator are saved in the checkpoint folder
  (`runformat.REPLAY_BUFFER`); `setup_replay(config, checkpoint)` restores them on resume, so a
  resumed run replays what an uninterrupted one would have held. A checkpoint without the file
  (replay switched on at the resume) starts with an empty buffer.

One process only (refused at launch otherwise).
"""

from __future__ import annotations

import json
import logging
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from rlstudio import runformat
from rlstudio.config_algorithms import ReplayConfig

logger = logging.getLogger("rlstudio")

# Per-row tensors of TRL's GRPO / RLOO generation output that the buffer carries, and their padding.
PROMPT_KEYS = ("prompt_ids", "prompt_mask")  # left-padded
COMPLETION_KEYS = ("completion_ids", "completion_mask", "old_per_token_logps", "ref_per_token_logps", "tool_mask")
ROW_KEYS = ("advantages", "old_logps")  # old_logps: RLOO's sequence log-prob under the generating policy
TAG_KEYS = ("rlstudio_row", "rlstudio_generation", "rlstudio_replayed", "rlstudio_born")  # rebuilt per batch
SCALAR_KEYS = ("num_items_in_batch",)
MASK_KEYS = {"prompt_mask", "completion_mask", "tool_mask"}  # kept as bool in the buffer


@dataclass(eq=False)  # compared by identity (tensors have no truth value)
class ReplayGroup:
    """One group as generated: per-row CPU tensors and what the recording needs to write it again."""

    tensors: dict[str, torch.Tensor]
    born: int  # the optimizer step (1-based) whose generation produced it
    rewards: torch.Tensor  # (num_generations, F) per-function rewards, NaN where none
    errors: list[list[str]] = field(default_factory=list)
    extras: list[dict[str, Any]] = field(default_factory=list)
    hint_ids: list[list[str]] = field(default_factory=list)
    dataset_index: list[int | None] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.tensors["advantages"].size(0)


class ReplayBuffer:
    """FIFO of at most `capacity` groups; `sample(k)` draws k distinct groups uniformly (seeded)."""

    def __init__(self, capacity: int, seed: int):
        self.groups: deque[ReplayGroup] = deque(maxlen=capacity)
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return len(self.groups)

    @property
    def rows(self) -> int:
        return sum(group.rows for group in self.groups)

    def add(self, group: ReplayGroup) -> None:
        self.groups.append(group)  # the oldest falls out when full

    def sample(self, k: int) -> list[ReplayGroup]:
        if k <= 0:
            return []
        picks = torch.randperm(len(self.groups), generator=self.generator)[:k].tolist()
        return [self.groups[i] for i in sorted(picks)]

    def save(self, path: Path) -> None:
        """The groups (oldest first) and the generator's state, loadable with torch.load(weights_only=True)."""
        groups = [{"tensors": g.tensors, "born": g.born, "rewards": g.rewards, "errors": g.errors,
                   "extras": json.dumps(g.extras, default=str), "hint_ids": g.hint_ids,
                   "dataset_index": g.dataset_index} for g in self.groups]
        torch.save({"format": 1, "generator": self.generator.get_state(), "groups": groups}, path)

    def load(self, path: Path) -> None:
        state = torch.load(path, weights_only=True)
        self.generator.set_state(state["generator"])
        self.groups.clear()
        for g in state["groups"]:  # a smaller buffer_size than before keeps the most recent groups
            self.groups.append(ReplayGroup(tensors=g["tensors"], born=g["born"], rewards=g["rewards"],
                                           errors=g["errors"], extras=json.loads(g["extras"]),
                                           hint_ids=g["hint_ids"], dataset_index=g["dataset_index"]))


def replay_count(fraction: float, groups: int, available: int) -> int:
    """Groups of a generation batch of `groups` taken from a buffer holding `available`: at least one is
    always generated, so the buffer keeps receiving new rollouts."""
    return max(0, min(round(fraction * groups), groups - 1, available))


def _pad(tensors: list[torch.Tensor], value: float, left: bool, multiple: int | None) -> torch.Tensor:
    width = max(t.size(1) for t in tensors)
    if multiple:
        width = -(-width // multiple) * multiple
    out = []
    for t in tensors:
        extra = t.new_full((t.size(0), width - t.size(1)), value)
        out.append(torch.cat([extra, t] if left else [t, extra], dim=1))
    return torch.cat(out)


def _trim(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Drop the columns that are padding in every row of a group (prompts: on the left; completions: right)."""
    out = dict(tensors)
    used = tensors["prompt_mask"].bool().any(0).nonzero()
    start = int(used[0]) if len(used) else tensors["prompt_mask"].size(1) - 1
    for key in PROMPT_KEYS:
        out[key] = tensors[key][:, start:]
    used = tensors["completion_mask"].bool().any(0).nonzero()
    end = int(used[-1]) + 1 if len(used) else 1
    for key in COMPLETION_KEYS:
        if key in tensors:
            out[key] = tensors[key][:, :end]
    return out


class ReplayMixin:
    """Mixed in before a RecordingGRPOTrainer or RecordingRLOOTrainer (optionally with selection); off until
    `setup_replay`."""

    _replay: ReplayConfig | None = None
    _replay_buffer: ReplayBuffer | None = None

    def setup_replay(self, config: ReplayConfig, checkpoint: Path | None = None) -> None:
        """`checkpoint`: the folder a resumed run starts from (its saved buffer is restored)."""
        if self.accelerator.num_processes > 1:
            raise ValueError(
                f"algorithm.replay: rollout replay runs in one process only (this launch has "
                f"{self.accelerator.num_processes}): each process would keep its own buffer of its own groups, "
                "and TRL's group-wise reward gathering across processes is not replayed; remove `replay` or "
                "launch one process")
        self._replay = config
        self._replay_buffer = ReplayBuffer(config.buffer_size, seed=self.args.seed)
        if checkpoint is not None:
            saved = Path(checkpoint) / runformat.REPLAY_BUFFER
            if saved.exists():
                self._replay_buffer.load(saved)
            else:
                logger.warning("%s: no replay buffer in the checkpoint; replay starts with an empty buffer", saved)

    def _save_rng_state(self, output_dir):
        super()._save_rng_state(output_dir)
        if self._replay_buffer is not None and self.args.should_save:
            self._replay_buffer.save(Path(output_dir) / runformat.REPLAY_BUFFER)

    def _generate_and_score_completions(self, inputs):
        if self._replay is None or not self.model.training:
            return super()._generate_and_score_completions(inputs)
        g = self.num_generations
        groups = len(inputs) // g
        k = replay_count(self._replay.fraction, groups, len(self._replay_buffer))
        replayed = self._replay_buffer.sample(k)
        output = super()._generate_and_score_completions(inputs[: (groups - k) * g])
        step = self.state.global_step + 1
        unknown = [key for key in output
                   if key not in (*PROMPT_KEYS, *COMPLETION_KEYS, *ROW_KEYS, *TAG_KEYS, *SCALAR_KEYS)]
        if unknown:
            raise ValueError(f"algorithm.replay: the generation batch has {unknown}, which the replay buffer does "
                             "not carry (images, vLLM sampling); remove `replay` for this setup")
        if "old_per_token_logps" not in output:
            output["old_per_token_logps"] = self._behaviour_logps(output)
        fresh = self._cut_groups(output, step)
        output = self._with_replayed(output, replayed, step)
        for group in fresh:
            self._replay_buffer.add(group)
        rows = output["advantages"].size(0)
        ages = [step - group.born for group in replayed for _ in range(group.rows)]
        metrics = self._metrics["train"]
        metrics["replay/fraction"].append(len(ages) / rows)
        metrics["replay/buffer_rows"].append(float(self._replay_buffer.rows))
        metrics["replay/mean_age"].append(sum(ages) / rows)
        return output

    @torch.no_grad()
    def _behaviour_logps(self, output: dict[str, Any]) -> torch.Tensor:
        """The generating policy's per-token log-probs of the fresh rows (TRL's own forward, same weights)."""
        ids = torch.cat([output["prompt_ids"], output["completion_ids"]], dim=1)
        mask = torch.cat([output["prompt_mask"], output["completion_mask"]], dim=1)
        logps, _, _ = self._get_per_token_logps_and_entropies(
            self.model, ids, mask, output["completion_ids"].size(1), self.args.per_device_train_batch_size)
        return logps.detach()

    def _cut_groups(self, output: dict[str, Any], step: int) -> list[ReplayGroup]:
        g = self.num_generations
        generation = self._current_generation()
        keys = [k for k in (*PROMPT_KEYS, *COMPLETION_KEYS, *ROW_KEYS) if k in output]
        groups = []
        for start in range(0, output["advantages"].size(0), g):
            rows = range(start, start + g)
            tensors = _trim({k: output[k][start:start + g].detach().cpu() for k in keys})
            for key in MASK_KEYS & tensors.keys():
                tensors[key] = tensors[key].bool()  # back to the batch's dtype when replayed
            group = ReplayGroup(tensors=tensors, born=step, rewards=torch.full((g, 0), float("nan")))
            if generation is not None:
                group.rewards = generation.rewards[start:start + g].clone()
                group.errors = [list(generation.errors.get(r, [])) for r in rows]
                group.extras = [dict(generation.extras.get(r, {})) for r in rows]
                group.hint_ids = [list(generation.hint_ids.get(r, [])) for r in rows]
                group.dataset_index = [generation.dataset_index.get(r) for r in rows]
            groups.append(group)
        return groups

    def _current_generation(self):
        generations = getattr(self, "_generations", None)  # rlstudio.recording's per-generation values
        return generations.get(self._generation_id - 1) if generations is not None else None

    def _with_replayed(self, output: dict[str, Any], replayed: list[ReplayGroup], step: int) -> dict[str, Any]:
        n = output["advantages"].size(0)
        device = output["advantages"].device
        out = dict(output)
        if replayed:
            chunks = [{k: output[k] for k in output if k not in (*TAG_KEYS, *SCALAR_KEYS)}]
            chunks += [{k: t.to(device=device, dtype=output[k].dtype) for k, t in group.tensors.items()}
                       for group in replayed]
            pad_id = self.processing_class.pad_token_id
            multiple = self.pad_to_multiple_of
            values = {"prompt_ids": pad_id, "prompt_mask": 0, "completion_ids": pad_id, "completion_mask": 0,
                      "old_per_token_logps": 0.0, "ref_per_token_logps": 0.0, "tool_mask": 1}
            for key in chunks[0]:
                parts = [chunk[key] for chunk in chunks]
                out[key] = (torch.cat(parts) if key in ROW_KEYS
                            else _pad(parts, values[key], left=key in PROMPT_KEYS, multiple=multiple))
            if "num_items_in_batch" in output:  # GRPO: the active tokens of the whole batch, all processes
                mask = out["completion_mask"] if "tool_mask" not in out else out["completion_mask"] * out["tool_mask"]
                out["num_items_in_batch"] = self.accelerator.gather(mask.sum()).sum()
        total = out["advantages"].size(0)
        born = [step] * n + [group.born for group in replayed for _ in range(group.rows)]
        out["rlstudio_replayed"] = torch.arange(total, device=device) >= n
        out["rlstudio_born"] = torch.tensor(born, device=device)
        if "rlstudio_row" in output:  # recorded: replayed rows are numbered after the fresh ones, this generation
            out["rlstudio_row"] = torch.arange(total, device=device)
            out["rlstudio_generation"] = output["rlstudio_generation"][:1].expand(total).clone()
            self._record_replayed(replayed, n)
        return out

    def _record_replayed(self, replayed: list[ReplayGroup], first_row: int) -> None:
        generation = self._current_generation()
        if generation is None or not replayed:
            return
        generation.rewards = torch.cat([generation.rewards, *[group.rewards for group in replayed]])
        row = first_row
        for group in replayed:
            for i in range(group.rows):
                if group.errors and group.errors[i]:
                    generation.errors[row] = list(group.errors[i])
                if group.extras:
                    generation.extras[row] = dict(group.extras[i])
                generation.hint_ids[row] = list(group.hint_ids[i]) if group.hint_ids else []
                generation.dataset_index[row] = group.dataset_index[i] if group.dataset_index else None
                row += 1


def with_replay(trainer_class: type) -> type:
    """`trainer_class` with rollout replay (a no-op unless setup_replay turns it on)."""
    return type(f"Replaying{trainer_class.__name__}", (ReplayMixin, trainer_class), {})
