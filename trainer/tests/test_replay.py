"""Rollout replay (`algorithm.replay`): the buffer, the config's refusals, and real tiny GRPO runs whose
loss is checked against an independent computation from the recorded old log-probabilities."""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import torch
from conftest import VARYING_REWARD, load, train_two_processes, write_varying_reward

from rlstudio import runformat
from rlstudio.config import ConfigError
from rlstudio.config_algorithms import ReplayConfig
from rlstudio.replay import ReplayBuffer, ReplayGroup, ReplayMixin, replay_count
from rlstudio.rollouts import write_shard
from rlstudio.runformat import RunPaths, read_jsonl, read_manifest
from rlstudio.train import resume, run


def _group(born: int, rows: int = 4) -> ReplayGroup:
    return ReplayGroup(tensors={"advantages": torch.zeros(rows)}, born=born, rewards=torch.zeros(rows, 1))


def test_buffer_is_fifo_and_bounded():
    buffer = ReplayBuffer(capacity=3, seed=0)
    for born in range(1, 6):
        buffer.add(_group(born))
    assert [g.born for g in buffer.groups] == [3, 4, 5]  # the two oldest left first
    assert len(buffer) == 3 and buffer.rows == 12
    drawn = buffer.sample(2)
    assert len({id(g) for g in drawn}) == 2 and all(g in buffer.groups for g in drawn)
    assert buffer.sample(0) == [] and len(buffer.sample(10)) == 3


def test_sampling_is_deterministic_by_seed():
    def draws(seed):
        buffer = ReplayBuffer(capacity=8, seed=seed)
        for born in range(8):
            buffer.add(_group(born))
        return [[g.born for g in buffer.sample(3)] for _ in range(5)]

    assert draws(1) == draws(1) and draws(1) != draws(2)


def test_buffer_is_saved_and_restored_with_its_draws(tmp_path):
    buffer = ReplayBuffer(capacity=4, seed=3)
    for born in range(1, 6):
        group = _group(born)
        group.extras = [{"n": born}] * 4
        group.errors = [["f: ValueError: x"], [], [], []]
        buffer.add(group)
    buffer.save(tmp_path / "b.pt")
    restored = ReplayBuffer(capacity=4, seed=99)
    restored.load(tmp_path / "b.pt")
    assert [g.born for g in restored.groups] == [2, 3, 4, 5]
    assert restored.groups[0].extras[0] == {"n": 2} and restored.groups[0].errors[0] == ["f: ValueError: x"]
    assert [g.born for g in restored.sample(2)] == [g.born for g in buffer.sample(2)]  # the draws continue
    smaller = ReplayBuffer(capacity=2, seed=0)
    smaller.load(tmp_path / "b.pt")
    assert [g.born for g in smaller.groups] == [4, 5]  # a smaller buffer_size keeps the most recent


@pytest.mark.parametrize("fraction, groups, available, expected", [
    (0.5, 4, 10, 2), (0.5, 4, 1, 1), (0.5, 4, 0, 0),
    (0.9, 2, 10, 1),  # round(1.8) = 2 would leave nothing to generate: one group is always generated
    (0.0, 4, 10, 0), (0.2, 2, 10, 0),
])
def test_replayed_groups_per_batch(fraction, groups, available, expected):
    assert replay_count(fraction, groups, available) == expected


@pytest.mark.parametrize("setting, message", [
    ("algorithm.replay={fraction: 1.0}", r"algorithm\.replay\.fraction: must be in \[0, 1\), got 1\.0: at 1 no group"),
    ("algorithm.replay={fraction: -0.1}", r"algorithm\.replay\.fraction: must be in \[0, 1\)"),
    ("algorithm.replay={buffer_size: -4}", r"algorithm\.replay\.buffer_size: must be a positive number of groups, "
                                           r"got -4"),
    ("algorithm.replay={buffer_size: 1000000000000}", r"algorithm\.replay\.buffer_size: a full buffer would need "
                                                      r"about .* GiB .* use a buffer_size of at most \d+"),
    ("algorithm.extra={use_vllm: true}", r"algorithm\.extra\.use_vllm: not supported with `replay`"),
])
def test_bad_replay_settings_are_refused_with_the_reason(workspace, setting, message):
    with pytest.raises(ConfigError, match=message):
        load(workspace, "algorithm.replay={fraction: 0.5}", setting)


def test_replay_with_dpo_is_refused(workspace):
    (workspace / "pairs.jsonl").write_text('{"prompt": "a", "chosen": "b", "rejected": "c"}\n')
    with pytest.raises(ConfigError, match=r"algorithm\.replay: rollout replay reuses sampled completions .*DPO "
                                          r"samples none"):
        load(workspace, "algorithm.name=dpo", "rewards=[]", "data.path=pairs.jsonl", "data.template=null",
             "algorithm.replay={fraction: 0.5}")


def test_memory_estimate_says_the_numbers():
    config = ReplayConfig(buffer_size=10000, fraction=0.5)
    assert config.memory_problem(8, 1024, 0.0, available=64 * 2**30) is None
    message = config.memory_problem(8, 1024, 0.1, available=2 * 2**30)
    assert "about 1.9 GiB (10000 groups × 8 completions × 1536 tokens (512 prompt + 1024 completion) × 17 bytes)" \
        in message
    assert "more than 50% of the 2.0 GiB" in message and "buffer_size of at most 5140" in message


def test_readers_treat_rows_without_the_columns_as_fresh_and_skip_replayed_results(tmp_path):
    row = {"step": 1, "prompt_index": 0, "group_index": 0, "prompt": "p", "completion": "c", "token_ids": [1],
           "tokens": ["c"], "logprobs": [-1.0], "entropies": [1.0], "loss_mask": [1], "advantage": 0.0,
           "reward": 1.0, "rewards": {"r": 1.0}, "truncated": False, "dataset_index": 3}
    write_shard(tmp_path, 1, [row], ["r"])
    written = runformat.read_shard(tmp_path / runformat.shard_name(1))
    assert written[0]["replayed"] is False and written[0]["age"] == 0  # defaults of a fresh row
    assert not runformat.is_replayed(row)  # a row of an older shard: no column
    write_shard(tmp_path, 2, [{**row, "step": 2, "reward": 0.0}, {**row, "step": 2, "prompt_index": 1,
                                                                   "replayed": True, "age": 1}], ["r"])
    results = runformat.group_results(tmp_path)
    assert [(r["step"], r["reward"]) for r in results] == [(1, 1.0), (2, 0.0)]  # the replayed repeat is skipped


# --- real runs ---------------------------------------------------------------------------------

REPLAY = [VARYING_REWARD, "algorithm.per_device_train_batch_size=16",
          "algorithm.replay={buffer_size: 3, fraction: 0.5}"]


def _shard_rows(run_dir: Path) -> dict[int, list[dict]]:
    return {step: pq.read_table(path).to_pylist() for step, path in runformat.shards(RunPaths(run_dir).rollouts)}


def _groups(rows: list[dict]) -> list[list[dict]]:
    out: dict[int, list[dict]] = {}
    for row in rows:
        out.setdefault(row["prompt_index"], []).append(row)
    return [out[k] for k in sorted(out)]


def _key(group: list[dict]) -> tuple:
    return tuple((g["prompt"], tuple(g["token_ids"])) for g in group)


def _check_fifo_split(run_dir: Path) -> dict[int, list[dict]]:
    """Each step: 4 groups, 2 of them replayed once the buffer holds 2, each replayed group one of the 3
    (buffer_size) most recent fresh groups generated before it, recorded with its original values."""
    shards = _shard_rows(run_dir)
    fresh: list[tuple[int, list[dict]]] = []  # (step, group) in generation order
    for step in sorted(shards):
        groups = _groups(shards[step])
        assert len(groups) == 4
        replayed = [g for g in groups if g[0]["replayed"]]
        assert all(r["replayed"] == g[0]["replayed"] for g in groups for r in g)  # whole groups
        in_buffer = [f for s, f in fresh if s < step][-3:]
        assert len(replayed) == min(2, len(in_buffer)), step
        assert groups[: len(groups) - len(replayed)] == [g for g in groups if not g[0]["replayed"]]  # fresh first
        for group in replayed:
            source = [f for f in in_buffer if _key(f) == _key(group)]
            assert source, f"step {step}: a replayed group that is not among the buffer's last 3 fresh groups"
            born = source[0][0]["step"]
            for used, original in zip(group, source[0]):
                assert used["age"] == step - born > 0
                assert used["logprobs"] == original["logprobs"]  # the behaviour policy's, as recorded
                assert used["advantage"] == original["advantage"]  # as computed at generation
                assert used["rewards"] == original["rewards"] and used["dataset_index"] == original["dataset_index"]
        for group in groups:
            if not group[0]["replayed"]:
                assert all(r["age"] == 0 for r in group)
                fresh.append((step, group))
    return shards


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["grpo", "rloo"])
def test_replayed_ratios_use_the_recorded_old_logprobs(workspace, monkeypatch, algorithm):
    """The loss TRL computes equals one computed here from a separate forward pass of the current policy
    and the old log-probabilities recorded when each row was generated, clipped with epsilon: per
    token and averaged over the batch's active tokens for GRPO (loss_type dapo), per sequence and
    averaged over the rows for RLOO."""
    write_varying_reward(workspace)
    epsilon = 0.02
    seen: list[dict] = []

    def observed_loss(self, model, inputs):
        loss = super(ReplayMixin, self)._compute_loss(model, inputs)
        if bool(inputs["rlstudio_replayed"].any()):
            with torch.no_grad():  # the current policy, independently of TRL's helpers
                ids = torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], dim=1)
                mask = torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], dim=1)
                logits = self.model(input_ids=ids, attention_mask=mask).logits.float()
                width = inputs["completion_ids"].size(1)
                logps = torch.log_softmax(logits[:, -width - 1:-1] / self.temperature, dim=-1)
                current = logps.gather(-1, inputs["completion_ids"].unsqueeze(-1)).squeeze(-1)
            rows = []
            for b in range(ids.size(0)):
                valid = inputs["completion_mask"][b].bool()
                prompt = self.processing_class.decode(inputs["prompt_ids"][b][inputs["prompt_mask"][b].bool()])
                rows.append({"prompt": prompt, "token_ids": inputs["completion_ids"][b][valid].tolist(),
                             "current": current[b][valid].tolist(),
                             "replayed": bool(inputs["rlstudio_replayed"][b])})
            seen.append({"step": self.state.global_step + 1, "loss": float(loss.detach()), "rows": rows})
        return loss

    monkeypatch.setattr(ReplayMixin, "_compute_loss", observed_loss, raising=False)
    run_dir = workspace / "run"
    config = load(workspace, *REPLAY, f"algorithm.name={algorithm}", "algorithm.max_steps=4",
                  "algorithm.learning_rate=0.05", f"algorithm.epsilon={epsilon}")
    assert run(config, run_dir) == 0
    shards = _check_fifo_split(run_dir)
    assert [s["step"] for s in seen] == [2, 3, 4]
    recorded = {(r["prompt"], tuple(r["token_ids"])): r for rows in shards.values() for r in rows
                if not r["replayed"]}  # each row as recorded at the step that generated it
    moved = clipped = 0
    for step in seen:
        losses = []
        for row in step["rows"]:
            original = recorded[(row["prompt"], tuple(row["token_ids"]))]
            advantage = original["advantage"]
            pairs = list(zip(row["current"], original["logprobs"], strict=True))
            if algorithm == "rloo":  # one ratio per sequence
                pairs = [(sum(c for c, _ in pairs), sum(o for _, o in pairs))]
            for cur, old in pairs:
                ratio = math.exp(cur - old)
                kept = min(max(ratio, 1 - epsilon), 1 + epsilon)
                losses.append(-min(ratio * advantage, kept * advantage))
                if row["replayed"]:
                    moved += abs(ratio - 1) > 1e-3
                    clipped += kept != ratio
                else:
                    assert ratio == pytest.approx(1.0, abs=1e-4)  # fresh: same weights as the loss
        # dapo: over all active tokens of the batch (num_items_in_batch); RLOO: the mean over rows
        assert step["loss"] == pytest.approx(sum(losses) / len(losses), rel=1e-4, abs=1e-6)
    assert moved and clipped  # the policy moved since generation, and the clipping engaged


@pytest.mark.slow
def test_real_run_with_selection_and_replay_stopped_and_resumed(workspace):
    """Stopped after step 3 (max_steps), resumed to step 5 from checkpoint-3."""
    write_varying_reward(workspace)
    run_dir = workspace / "run"
    settings = [*REPLAY, "data.selection.strategy=difficulty", "data.selection.reference_size=2",
                "checkpoints.every_n_steps=1"]
    assert run(load(workspace, *settings, "algorithm.max_steps=3"), run_dir) == 0
    assert (RunPaths(run_dir).checkpoint(3) / runformat.REPLAY_BUFFER).exists()
    assert resume(run_dir, ["algorithm.max_steps=5"]) == 0
    # The buffer saved with checkpoint-3 is restored: steps 4 and 5 replay groups generated before the stop.
    shards = _check_fifo_split(run_dir)
    assert sorted(shards) == [1, 2, 3, 4, 5]
    assert any(r["replayed"] and r["step"] - r["age"] <= 3 for r in shards[4])
    metrics = {m["step"]: m["values"] for m in read_jsonl(RunPaths(run_dir).metrics)}
    assert sorted(metrics) == [1, 2, 3, 4, 5]
    for step, values in metrics.items():
        replayed = sum(r["replayed"] for r in shards[step])
        assert values["replay/fraction"] == pytest.approx(replayed / 16)
        assert values["replay/mean_age"] == pytest.approx(sum(r["age"] for r in shards[step]) / 16)
        assert 0 < values["replay/buffer_rows"] <= 12
    assert metrics[1]["replay/fraction"] == 0  # nothing to replay yet
    assert all(metrics[step]["replay/fraction"] == 0.5 for step in (2, 3, 4, 5))
    # Selection observed only the generated prompts: each selection line names the step's fresh groups.
    for line in read_jsonl(RunPaths(run_dir).selection):
        fresh = [g[0]["dataset_index"] for g in _groups(shards[line["step"]]) if not g[0]["replayed"]]
        assert [p["dataset_index"] for p in line["prompts"]] == fresh


@pytest.mark.slow
def test_replay_with_a_reference_model_and_several_passes_per_generation(workspace):
    """beta > 0 (ref_per_token_logps carried), num_iterations 2 and two micro-batches per step (TRL computes
    old_per_token_logps itself): a generation every other step, the same fresh/replayed split."""
    write_varying_reward(workspace)
    run_dir = workspace / "run"
    config = load(workspace, *REPLAY, "algorithm.per_device_train_batch_size=8",
                  "algorithm.gradient_accumulation_steps=2", "algorithm.num_iterations=2", "algorithm.beta=0.1",
                  "algorithm.max_steps=6")
    assert run(config, run_dir) == 0
    shards = _check_fifo_split(run_dir)
    assert sorted(shards) == [1, 3, 5]  # recorded on the first pass over each generation
    metrics = [m["values"] for m in read_jsonl(RunPaths(run_dir).metrics) if "replay/fraction" in m["values"]]
    assert [m["replay/fraction"] for m in metrics] == [0, 0.5, 0.5]
    kl = [m["values"]["kl"] for m in read_jsonl(RunPaths(run_dir).metrics) if "kl" in m["values"]]
    assert kl and all(math.isfinite(v) for v in kl)


@pytest.mark.slow
def test_two_processes_are_refused_at_launch(workspace):
    write_varying_reward(workspace)
    run_dir = workspace / "run"
    result = train_two_processes(workspace, run_dir, "algorithm.per_device_train_batch_size=4", "algorithm.max_steps=2",
                                 *REPLAY[:1], "algorithm.replay={buffer_size: 3, fraction: 0.5}")
    assert result.returncode != 0
    error = read_manifest(run_dir)["error"]
    assert "algorithm.replay: rollout replay runs in one process only (this launch has 2)" in error["message"]
    assert not runformat.shards(RunPaths(run_dir).rollouts)  # refused before any step
