"""End-to-end training on a tiny local model: run files, per-token correctness, masks, control, resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import torch
from conftest import load

from rlstudio import runformat
from rlstudio.runformat import read_jsonl, read_manifest
from rlstudio.train import resume, run

pytestmark = pytest.mark.slow

THREE_REWARDS = ("rewards=[{name: exact, ref: exact_answer}, {name: flaky, ref: 'rewards.py:nan_at_one'}, "
                 "{name: extra, ref: 'rewards.py:extra_logger', weight: 0.5}]")


def shards(run_dir: Path) -> dict[int, list[dict]]:
    return {step: pq.read_table(path).to_pylist() for step, path in runformat.shards(run_dir / "rollouts")}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, tiny_model):
    """One 3-step run with the forking mask (q=0.5), temperature 0.7 and a reward that fails on row 1."""
    from conftest import make_workspace

    ws = make_workspace(tmp_path_factory.mktemp("ws"), tiny_model)
    config = load(ws, THREE_REWARDS, "algorithm.top_entropy_quantile=0.5", "algorithm.temperature=0.7")
    assert run(config, ws / "run") == 0
    return ws, ws / "run"


def test_run_directory_matches_the_format(recorded):
    _, run_dir = recorded
    manifest = read_manifest(run_dir)
    assert manifest["status"] == "completed" and manifest["error"] is None and manifest["maxSteps"] == 3
    assert manifest["versions"]["trl"] == "1.13.0" and manifest["config"]["algorithm"]["top_entropy_quantile"] == 0.5
    events = read_jsonl(run_dir / "events.jsonl")
    statuses = [e["status"] for e in events if e["type"] == "status"]
    assert statuses == ["starting", "running", "completed"]
    assert [e["step"] for e in events if e["type"] == "rollouts"] == [1, 2, 3]
    assert [e["path"] for e in events if e["type"] == "checkpoint"] == ["checkpoints/checkpoint-3"]
    errors = [e for e in events if e["type"] == "reward_error"]
    assert len(errors) == 3 and all(e["function"] == "flaky" and e["indices"] == [1] for e in errors)
    metrics = read_jsonl(run_dir / "metrics.jsonl")
    assert [m["step"] for m in metrics] == [1, 2, 3]
    for name in ("reward", "reward_std", "rewards/exact/mean", "rewards/flaky/mean", "entropy", "loss",
                 "grad_norm", "learning_rate", "completions/mean_length", "rlstudio/step_time_s",
                 "rlstudio/step_cpu_s",
                 "rlstudio/tokens_per_s"):
        assert name in metrics[-1]["values"], name
    assert metrics[-1]["values"]["rlstudio/tokens_per_s"] > 0
    info = json.loads((run_dir / "checkpoints" / "checkpoint-3" / "checkpoint.json").read_text())
    assert info["step"] == 3 and "reward" in info["metrics"]


def test_shard_rows(recorded):
    _, run_dir = recorded
    by_step = shards(run_dir)
    assert sorted(by_step) == [1, 2, 3]
    rows = by_step[2]
    assert len(rows) == 8
    assert [(r["prompt_index"], r["group_index"]) for r in rows] == [(p, g) for p in range(2) for g in range(4)]
    for row in rows:
        n = len(row["token_ids"])
        assert 0 < n <= 8
        assert len(row["tokens"]) == len(row["logprobs"]) == len(row["entropies"]) == len(row["loss_mask"]) == n
        assert "".join(row["tokens"]) == row["completion"]
        assert row["prompt"].startswith("<|im_start|>user\nWhat is")
        assert row["hint_ids"] == [] and json.loads(row["extras"])["n_chars"] >= 0
    flaky = [r for r in rows if r["group_index"] == 1 and r["prompt_index"] == 0][0]
    assert flaky["rewards"]["flaky"] is None and "index 1" in flaky["reward_error"]
    ok = rows[0]
    assert ok["reward_error"] is None and ok["rewards"]["flaky"] == 1.0
    assert ok["reward"] == pytest.approx(ok["rewards"]["exact"] + 1.0 + 0.5 * ok["rewards"]["extra"])
    # group advantages are centered (scale_rewards="group"): their mean is 0
    for p in range(2):
        group = [r["advantage"] for r in rows if r["prompt_index"] == p]
        assert abs(sum(group)) < 1e-3


def test_per_token_values_match_an_independent_float64_computation(recorded):
    """Step 1 ran with the initial weights: recompute logprobs and entropies in float64 and compare."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    ws, run_dir = recorded
    rows = shards(run_dir)[1]
    tokenizer = AutoTokenizer.from_pretrained(ws / "model")
    model = AutoModelForCausalLM.from_pretrained(ws / "model", dtype=torch.float64).eval()
    prompts = [tokenizer(r["prompt"], add_special_tokens=False)["input_ids"] for r in rows]
    # The step's 8 rows formed one micro-batch: prompts left-padded, completions right-padded, as TRL does.
    p_len = max(len(p) for p in prompts)
    c_len = max(len(r["token_ids"]) for r in rows)
    pad = tokenizer.pad_token_id
    ids, attn = [], []
    for prompt, row in zip(prompts, rows):
        completion = row["token_ids"]
        ids.append([pad] * (p_len - len(prompt)) + prompt + completion + [pad] * (c_len - len(completion)))
        attn.append([0] * (p_len - len(prompt)) + [1] * (len(prompt) + len(completion))
                    + [0] * (c_len - len(completion)))
    ids, attn = torch.tensor(ids), torch.tensor(attn)
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=attn).logits[:, p_len - 1 : -1] / 0.7
    logp_all = torch.log_softmax(logits, dim=-1)
    entropy = -(logp_all.exp() * logp_all).sum(-1)
    logps = logp_all.gather(-1, ids[:, p_len:].unsqueeze(-1)).squeeze(-1)
    worst = 0.0
    for b, row in enumerate(rows):
        n = len(row["token_ids"])
        worst = max(worst, (logps[b, :n] - torch.tensor(row["logprobs"], dtype=torch.float64)).abs().max().item())
        worst = max(worst, (entropy[b, :n] - torch.tensor(row["entropies"], dtype=torch.float64)).abs().max().item())
    assert worst <= 1e-4


def test_forking_mask_is_trls_mask_for_the_micro_batch(recorded):
    from accelerate import Accelerator
    from trl import GRPOTrainer

    class _Owner:  # get_high_entropy_mask only needs an accelerator (single process here)
        accelerator = Accelerator(cpu=True)

    _, run_dir = recorded
    for rows in shards(run_dir).values():
        width = max(len(r["entropies"]) for r in rows)
        entropies = torch.tensor([r["entropies"] + [0.0] * (width - len(r["entropies"])) for r in rows])
        mask = torch.tensor([[1] * len(r["entropies"]) + [0] * (width - len(r["entropies"])) for r in rows])
        expected = GRPOTrainer.get_high_entropy_mask(_Owner(), entropies, mask, 1 - 0.5)
        recorded_mask = torch.tensor([r["loss_mask"] + [0] * (width - len(r["loss_mask"])) for r in rows]).bool()
        assert torch.equal(recorded_mask, expected)
        share = recorded_mask.sum().item() / mask.sum().item()
        assert 0.4 <= share <= 0.6
        threshold = rows[0]["entropy_threshold"]
        assert all(r["entropy_threshold"] == threshold for r in rows)
        selected = entropies[recorded_mask]
        assert threshold == pytest.approx(selected.min().item())


def test_save_request_and_full_loss_mask(workspace):
    config = load(workspace, "algorithm.max_steps=2", "checkpoints.every_n_steps=100", "checkpoints.keep_last=null")
    (workspace / "run" / "control").mkdir(parents=True)
    (workspace / "run" / "control" / "save").touch()
    assert run(config, workspace / "run") == 0
    run_dir = workspace / "run"
    assert not (run_dir / "control" / "save").exists()
    assert sorted(p.name for p in (run_dir / "checkpoints").glob("checkpoint-*")) == ["checkpoint-1", "checkpoint-2"]
    events = read_jsonl(run_dir / "events.jsonl")
    assert {"request": "save", "source": "file"}.items() <= next(e for e in events if e["type"] == "control").items()
    for rows in shards(run_dir).values():  # top_entropy_quantile = 1: every completion token gets gradient
        assert all(all(m == 1 for m in r["loss_mask"]) and r["entropy_threshold"] is None for r in rows)


def test_stop_request_then_resume_continues_step_numbering(workspace):
    run_dir = workspace / "run"
    (run_dir / "control").mkdir(parents=True)
    (run_dir / "control" / "stop").touch()
    assert run(load(workspace), run_dir) == 0
    manifest = read_manifest(run_dir)
    assert manifest["status"] == "stopped"
    assert [p.name for p in (run_dir / "checkpoints").glob("checkpoint-*")] == ["checkpoint-1"]
    assert sorted(shards(run_dir)) == [1]
    statuses = [e["status"] for e in read_jsonl(run_dir / "events.jsonl") if e["type"] == "status"]
    assert statuses == ["starting", "running", "stopping", "stopped"]

    assert resume(run_dir) == 0
    manifest = read_manifest(run_dir)
    assert manifest["status"] == "completed" and manifest["resumedFrom"] == {"step": 1,
                                                                            "checkpoint": "checkpoints/checkpoint-1"}
    assert sorted(shards(run_dir)) == [1, 2, 3]
    assert [m["step"] for m in read_jsonl(run_dir / "metrics.jsonl")] == [1, 2, 3]
    events = read_jsonl(run_dir / "events.jsonl")
    assert any(e["type"] == "resume" and e["step"] == 1 for e in events)


def test_abort_policy_fails_the_run(workspace):
    config = load(workspace, "rewards=[{name: bad, ref: 'rewards.py:raises', on_error: abort}]")
    assert run(config, workspace / "run") == 1
    manifest = read_manifest(workspace / "run")
    assert manifest["status"] == "failed"
    assert manifest["error"]["type"] == "RewardAbort" and "boom from the user's reward" in manifest["error"]["message"]
    assert "Traceback" in manifest["error"]["traceback"]
    events = read_jsonl(workspace / "run" / "events.jsonl")
    assert any(e["type"] == "reward_error" and e["function"] == "bad" for e in events)


def test_sigterm_stops_gracefully(workspace):
    run_dir = workspace / "run"
    cmd = [sys.executable, "-m", "rlstudio", "train", str(workspace / "t.rlstudio.yaml"), "--run-dir", str(run_dir),
           "--set", "algorithm.max_steps=500", "--set", "checkpoints.every_n_steps=1000"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not read_jsonl(run_dir / "metrics.jsonl"):
            time.sleep(0.3)
        assert read_jsonl(run_dir / "metrics.jsonl"), "no step finished"
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=120) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    manifest = read_manifest(run_dir)
    assert manifest["status"] == "stopped"
    stopped_at = read_jsonl(run_dir / "metrics.jsonl")[-1]["step"]
    assert stopped_at < 500
    assert (run_dir / "checkpoints" / f"checkpoint-{stopped_at}").is_dir()
    events = read_jsonl(run_dir / "events.jsonl")
    assert any(e["type"] == "control" and e["source"] == "signal" for e in events)


def test_reasoning_gym_data(workspace):
    from rlstudio.data import load_dataset

    config = load(workspace, "data={reasoning_gym: {task: chain_sum, size: 10, seed: 1}, eval_fraction: 0.2}",
                  "rewards=[{name: rg, ref: reasoning_gym}]")
    train, evaluation = load_dataset(config)
    assert len(train) == 8 and len(evaluation) == 2
    row = train[0]
    assert row["prompt"][-1]["role"] == "user" and row["prompt"][-1]["content"] == row["question"]
    assert json.loads(row["metadata"])["source_dataset"] == "chain_sum"


def test_kill_9_leaves_readable_files_and_resume_continues(workspace):
    run_dir = workspace / "run"
    cmd = [sys.executable, "-m", "rlstudio", "train", str(workspace / "t.rlstudio.yaml"), "--run-dir", str(run_dir),
           "--set", "algorithm.max_steps=500", "--set", "checkpoints.every_n_steps=1",
           "--set", "checkpoints.keep_last=2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and len(read_jsonl(run_dir / "metrics.jsonl")) < 2:
            time.sleep(0.2)
    finally:
        proc.kill()  # SIGKILL, mid-step
        proc.wait()
    assert read_manifest(run_dir)["status"] == "running"  # the reader infers the death from pid/heartbeat
    for shard in run_dir.glob("rollouts/*.parquet"):
        pq.read_table(shard)  # no torn shard
    read_jsonl(run_dir / "events.jsonl")
    from rlstudio.runfiles import last_checkpoint

    step, _ = last_checkpoint(run_dir)
    assert resume(run_dir, [f"algorithm.max_steps={step + 1}"]) == 0
    assert read_manifest(run_dir)["status"] == "completed"
    assert read_jsonl(run_dir / "metrics.jsonl")[-1]["step"] == step + 1
    assert max(shards(run_dir)) == step + 1


def _train_cli(workspace: Path, *overrides: str) -> subprocess.Popen:
    sets = [arg for o in overrides for arg in ("--set", o)]
    return subprocess.Popen([sys.executable, "-m", "rlstudio", "train", str(workspace / "t.rlstudio.yaml"),
                             "--run-dir", str(workspace / "run"), *sets], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_reward_errors_are_reported_once_per_function_per_step(workspace):
    """NaN on 4 rows and a raise used to be 4 + 1 silent events per step (nothing on the terminal or in trainer.log)."""
    proc = _train_cli(workspace, "algorithm.max_steps=2",
                      "rewards=[{name: nans, ref: 'rewards.py:nan_on_even'}, {name: bad, ref: 'rewards.py:raises'}]")
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    run_dir = workspace / "run"
    errors = [e for e in read_jsonl(run_dir / "events.jsonl") if e["type"] == "reward_error"]
    assert [(e["step"], e["function"]) for e in errors] == [(1, "nans"), (1, "bad"), (2, "nans"), (2, "bad")]
    nans = errors[0]
    assert nans["indices"] == [0, 2, 4, 6] and nans["count"] == 4 and "index 0" in nans["error"]["message"]
    assert errors[1]["count"] == 8 and "boom from the user's reward" in errors[1]["error"]["message"]
    log = (run_dir / "logs" / "trainer.log").read_text()
    for text in (stderr, log):
        assert "step 1: reward function 'nans' failed on 4 row(s) [0, 2, 4, 6]" in text
        assert "step 2: reward function 'bad' failed on 8 row(s)" in text and "RuntimeError: boom" in text
        assert text.count("reward function 'nans' failed") == 2


def test_a_hung_reward_function_is_interrupted_and_named(workspace):
    """A reward function that never returned blocked training forever."""
    started = time.time()
    proc = _train_cli(workspace, "algorithm.max_steps=2",
                      "rewards=[{name: exact, ref: exact_answer}, "
                      "{name: stuck, ref: 'rewards.py:hangs', timeout_s: 1, on_error: zero}]")
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert time.time() - started < 240
    run_dir = workspace / "run"
    assert read_manifest(run_dir)["status"] == "completed"
    errors = [e for e in read_jsonl(run_dir / "events.jsonl") if e["type"] == "reward_error"]
    assert [(e["step"], e["function"], e["error"]["type"]) for e in errors] == [(1, "stuck", "RewardTimeout"),
                                                                                (2, "stuck", "RewardTimeout")]
    assert "did not return within 1 s" in errors[0]["error"]["message"]
    assert "reward function 'stuck' failed on 8 row(s)" in stderr
    rows = shards(run_dir)[1]
    assert all(r["rewards"]["stuck"] == 0.0 for r in rows)  # on_error: zero


@pytest.mark.parametrize("how", ["file", "sigterm"])
def test_stop_ends_a_run_while_a_reward_function_hangs(workspace, how):
    """The stop file and SIGTERM were accepted but did nothing while a reward function ran."""
    proc = _train_cli(workspace, "algorithm.max_steps=2", "rewards=[{name: stuck, ref: 'rewards.py:hangs'}]")
    try:
        deadline = time.time() + 180
        while time.time() < deadline and not (workspace / "hang-started").exists():
            assert proc.poll() is None, proc.communicate()[1]
            time.sleep(0.2)
        asked = time.time()
        if how == "file":
            (workspace / "run" / "control" / "stop").touch()
        else:
            proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)  # the extension's stop timeout is 60 s
        assert proc.returncode == 0, stderr
        assert time.time() - asked < 30
    finally:
        if proc.poll() is None:
            proc.kill()
    manifest = read_manifest(workspace / "run")
    assert manifest["status"] == "stopped"
    assert "while reward function 'stuck' was running" in stderr
    assert not (workspace / "run" / "control" / "stop").exists()
