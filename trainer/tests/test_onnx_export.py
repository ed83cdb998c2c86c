"""`rlstudio export-onnx`: the export, its self-check and export.json, bad sources, and (slow) a recorded
run's rollouts scored by the extension's scoring process (onnxruntime-node) from its exports."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import load

from rlstudio.export.onnx_export import export
from rlstudio.export.sources import ExportError
from rlstudio.runformat import RunPaths

REPO = Path(__file__).resolve().parents[2]


def score_in_node(requests: list[dict], reward: dict | None = None) -> dict:
    """The extension's scoring process (forked Node, onnxruntime-node): `requests` (ScoreParams) → their
    results; `reward` ({exportDir, texts}) → its scores, and the error of scoring tokens with that export."""
    done = subprocess.run(["node", "--import", "tsx", "test/support/onnxScore.ts"], cwd=REPO, check=True,
                          input=json.dumps({"requests": requests, "reward": reward}), capture_output=True, text=True,
                          timeout=300)
    return json.loads(done.stdout)


def test_export_of_a_model_folder(tiny_model, tmp_path):
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    out = export(str(tiny_model), out=str(tmp_path / "export"), progress=lambda _: None)
    manifest = json.loads((out / "export.json").read_text())
    assert manifest["format"] == "rlstudio.onnx-export/1" and manifest["task"] == "causal-lm-scoring"
    assert manifest["inputs"] == ["input_ids", "attention_mask", "temperature"]
    assert manifest["outputs"][:4] == ["token_logprobs", "entropies", "top_ids", "top_logprobs"]
    assert manifest["quantization"] is None and manifest["dtype"] == "float32" and manifest["opset"] >= 18
    assert manifest["source"]["checksum"].startswith("sha256:")
    assert manifest["versions"]["onnxruntime"] and manifest["versions"]["onnxscript"]
    check = manifest["check"]
    assert check["maxAbsLogitDiff"] <= 1e-3 and check["maxAbsLogprobDiff"] <= 1e-3
    assert manifest["files"] == {p.name: p.stat().st_size for p in out.iterdir() if p.name != "export.json"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary folder left"
    python = AutoTokenizer.from_pretrained(tiny_model)
    text = "What is 2 + 3?\n\tTabs, 中文 and 🙂<|im_end|>"
    assert Tokenizer.from_file(str(out / "tokenizer.json")).encode(text, add_special_tokens=False).ids == \
        python(text, add_special_tokens=False)["input_ids"]


def test_int8_export_records_its_error(tiny_model, tmp_path):
    out = export(str(tiny_model), out=str(tmp_path / "int8"), quantize="int8", progress=lambda _: None)
    manifest = json.loads((out / "export.json").read_text())
    assert manifest["quantization"] == "int8"
    assert 0 < manifest["check"]["meanAbsLogprobDiff"] <= manifest["check"]["bound"]["meanAbsLogprobDiff"]


@pytest.fixture(scope="module")
def reward_export(tiny_model, tmp_path_factory) -> Path:
    """A tiny sequence-classification (reward) model exported to ONNX."""
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    tmp = tmp_path_factory.mktemp("reward")
    config = AutoConfig.from_pretrained(tiny_model, num_labels=1, architectures=["Qwen2ForSequenceClassification"])
    AutoModelForSequenceClassification.from_config(config).save_pretrained(tmp / "reward")
    AutoTokenizer.from_pretrained(tiny_model).save_pretrained(tmp / "reward")
    return export(str(tmp / "reward"), out=str(tmp / "rm"), progress=lambda _: None)


def test_a_reward_model_exports_its_scores_and_node_gives_the_same_numbers(reward_export):
    """A sequence-classification model exports as a reward graph; the scoring process (onnxruntime-node)
    gives onnxruntime (Python)'s scores to 1e-5, and refuses to score tokens with it."""
    import numpy as np
    import onnxruntime as ort
    from transformers import AutoTokenizer

    out = reward_export
    manifest = json.loads((out / "export.json").read_text())
    assert manifest["task"] == "sequence-classification" and manifest["outputs"] == ["scores"]
    assert manifest["numLabels"] == 1 and manifest["check"]["maxAbsScoreDiff"] <= 1e-3

    texts = ["What is 2 + 3? <answer>5</answer>", "short", "中文 and 🙂\ttabs"]
    tokenizer = AutoTokenizer.from_pretrained(out.parent / "reward")
    session = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    python = []
    for ids in (tokenizer(t)["input_ids"] for t in texts):
        feeds = {"input_ids": np.array([ids]), "attention_mask": np.ones((1, len(ids)), np.int64)}
        python.append(session.run(None, feeds)[0][0])
    node = score_in_node([], reward={"exportDir": str(out), "texts": texts})
    assert np.abs(np.array(node["scores"]) - np.array(python)).max() <= 1e-5
    # The trainer's ONNX reward function (batched, padded) gives the same numbers.
    from rlstudio.export.onnx_reward import OnnxReward

    trainer = OnnxReward(out)(completions=[t[2:] for t in texts], prompts=[t[:2] for t in texts])
    assert np.abs(np.array(trainer) - np.array(node["scores"])[:, 0]).max() <= 1e-5
    assert "has no causal-LM head, so it cannot score tokens" in node["scoreError"]


def test_an_onnx_reward_entry_in_a_run_config(workspace, reward_export):
    from rlstudio.config import ConfigError
    from rlstudio.export.onnx_reward import OnnxReward
    from rlstudio.rewards import load_rewards

    shutil.copytree(reward_export, workspace / "rm")
    config = load(workspace, "rewards=[{name: rm, onnx: rm}, {name: exact, ref: exact_answer}]")
    funcs, weights = load_rewards(config, lambda error: pytest.fail(str(error)))
    prompts, completions = ["What is 1 + 2?", "What is 2 + 2?"], [" 3", " <answer>4</answer>"]
    expected = OnnxReward(workspace / "rm")(completions=completions, prompts=prompts)
    assert funcs[0](prompts=prompts, completions=completions) == expected and weights == [1.0, 1.0]
    from rlstudio.evals.judge import Judge  # evaluations score with the same entries

    assert Judge(config, None).funcs[0](prompts=prompts, completions=completions) == expected
    with pytest.raises(ConfigError, match=r"rewards\[0\]: set either `ref`"):
        load(workspace, "rewards=[{name: rm, onnx: rm, ref: exact_answer}]")
    with pytest.raises(ConfigError, match=r"rewards\[0\].onnx: .*nothing/export.json not found"):
        load(workspace, "rewards=[{name: rm, onnx: nothing}]")


def test_refuses_a_model_without_a_head(tiny_model, tmp_path):
    from transformers import AutoConfig, AutoModel

    AutoModel.from_config(AutoConfig.from_pretrained(tiny_model)).save_pretrained(tmp_path / "bare")
    shutil.copy(tiny_model / "tokenizer.json", tmp_path / "bare")
    with pytest.raises(ExportError, match=r"config.json: architectures \['Qwen2Model'\] has neither a causal-LM head"):
        export(str(tmp_path / "bare"), out=str(tmp_path / "out"), progress=lambda _: None)
    assert not (tmp_path / "out").exists() and not (tmp_path / ".out.tmp").exists()


def test_bad_sources_are_named(tmp_path):
    with pytest.raises(ExportError, match="no such checkpoint or model folder"):
        export(str(tmp_path / "missing"), progress=lambda _: None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ExportError, match=r"empty: not a model folder \(no config.json\)"):
        export(str(tmp_path / "empty"), progress=lambda _: None)
    run_dir = tmp_path / "run"
    RunPaths(run_dir).checkpoints.mkdir(parents=True)
    RunPaths(run_dir).manifest.write_text(json.dumps({"config": {"model": {"name": "./model"}}}))
    with pytest.raises(ExportError, match="no complete checkpoint"):
        export(f"{run_dir}:latest", progress=lambda _: None)
    with pytest.raises(ExportError, match="base model './model' not found"):
        export(f"{run_dir}:base", progress=lambda _: None)


@pytest.mark.slow
def test_scoring_reproduces_the_recorded_logprobs_of_the_checkpoint_that_generated_them(workspace):
    """A LoRA run of 2 steps with a checkpoint after step 1: step 1's rollouts were generated by the base
    model, step 2's by checkpoint-1 (adapter merged at export). Scoring prompt + recorded completion ids
    in the scoring process reproduces the shard's logprobs (temperature 1)."""
    import pyarrow.parquet as pq

    from rlstudio.train import run

    config = load(workspace, "algorithm.max_steps=2", "checkpoints.every_n_steps=1", "algorithm.temperature=1.0",
                  "model.lora={r: 4, alpha: 8, target_modules: all-linear}")
    run_dir = workspace / "run"
    assert run(config, run_dir) == 0
    base = export(f"{run_dir}:base", progress=lambda _: None)
    first = export(str(RunPaths(run_dir).checkpoint(1)), progress=lambda _: None)
    assert first == RunPaths(run_dir).onnx_export("checkpoint-1") and base == RunPaths(run_dir).onnx_export("base")
    assert json.loads((first / "export.json").read_text())["source"]["adapter"] == "checkpoints/checkpoint-1"

    requests, expected = [], []
    for step, export_dir in ((1, base), (2, first)):
        rows = pq.read_table(RunPaths(run_dir).shard(step)).to_pylist()
        requests.append({"exportDir": str(export_dir), "temperature": 1.0,
                         "inputs": [{"text": r["prompt"], "appendIds": r["token_ids"]} for r in rows]})
        expected.append(rows)
    worst = 0.0
    for result, rows in zip(score_in_node(requests)["results"], expected):
        for scored, row in zip(result["results"], rows):
            n = len(row["token_ids"])
            tokens = scored["tokens"][-n:]
            assert [t["id"] for t in tokens] == row["token_ids"]
            worst = max(worst, max(abs(t["logprob"] - lp) for t, lp in zip(tokens, row["logprobs"])))
    print(f"recorded rollouts rescored from their exports: max |Δ logprob| {worst:.2e}")
    assert worst <= 1e-3
