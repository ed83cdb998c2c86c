"""Reward Lab samples: a run's recorded rollouts get the columns of their dataset rows."""

import json

import pytest

from rlstudio.rollouts import write_shard
from rlstudio.worker.samples import SamplesError, from_dataset, from_run


def make_run(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    rows = [{"question": "What is 3 + 4?", "answer": "7"}, {"question": "What is 13 + 4?", "answer": "17"}]
    (project / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = {
        "model": {"name": "./model"},
        "data": {"path": "data.jsonl", "template": "{question} Answer in tags.", "system_prompt": "Be careful."},
        "rewards": [
            {"name": "exact", "ref": "exact_answer"},
            {"name": "mine", "ref": "rewards.py:mine", "weight": 0.5},
        ],
    }
    (project / "exp.rlstudio.yaml").write_text(json.dumps(config))
    run = project / ".rlstudio" / "runs" / "r1"
    (run / "rollouts").mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"format": "rlstudio.run/1", "config": config,
                                              "configPath": str(project / "exp.rlstudio.yaml")}))

    def row(prompt_index, group_index, question, completion, reward):
        prompt = f"<|im_start|>system\nBe careful.<|im_end|>\n<|im_start|>user\n{question} Answer in tags.<|im_end|>\n"
        return {"step": 4, "prompt_index": prompt_index, "group_index": group_index, "prompt": prompt,
                "completion": completion, "token_ids": [], "tokens": [], "logprobs": [], "entropies": [],
                "loss_mask": [], "advantage": 0.0, "reward": reward, "rewards": {"exact": reward, "mine": None},
                "truncated": False, "extras": {}}

    write_shard(run / "rollouts", 2, [row(0, 0, "What is 3 + 4?", "x", 0.0)], ["exact", "mine"])
    write_shard(run / "rollouts", 4, [
        row(0, 0, "What is 13 + 4?", "<answer>17</answer>", 1.0),
        row(0, 1, "What is 13 + 4?", "<answer>7</answer>", 0.0),
        row(1, 0, "What is 3 + 4?", "<answer>7</answer>", 1.0),
        row(2, 0, "Unrelated question", "", 0.0),
    ], ["exact", "mine"])
    return run, project


def test_latest_step_with_dataset_columns_matched_by_longest_prompt(tmp_path):
    run, project = make_run(tmp_path)
    result = from_run(run)
    assert (result["step"], result["steps"]) == (4, [2, 4])
    assert [s["columns"].get("answer") for s in result["samples"]] == ["17", "17", "7", None]
    assert result["matched"] == 3
    assert result["warnings"] == ["1 of 4 rollouts matched no dataset row: they get no dataset columns"]
    assert result["samples"][0]["recorded"] == {"reward": 1.0, "rewards": {"exact": 1.0, "mine": None}}
    assert result["baseDir"] == str(project)
    assert [r["name"] for r in result["rewards"]] == ["exact", "mine"]


def test_a_given_step_and_a_missing_one(tmp_path):
    run, _ = make_run(tmp_path)
    assert len(from_run(run, 2)["samples"]) == 1
    with pytest.raises(SamplesError, match=r"no rollouts recorded at step 3 \(recorded: \[2, 4\]\)"):
        from_run(run, 3)


def test_moved_dataset_is_a_warning_not_a_failure(tmp_path):
    run, project = make_run(tmp_path)
    (project / "data.jsonl").unlink()
    result = from_run(run)
    assert all(s["columns"] == {} for s in result["samples"])
    assert "could not be loaded" in result["warnings"][0]


def test_dataset_file_rows_and_a_bad_line(tmp_path):
    path = tmp_path / "typed.jsonl"
    path.write_text('{"prompt": "p", "completion": "<answer>1</answer>", "answer": "1"}\n\n{"prompt": "q"}\n')
    result = from_dataset(path)
    assert result["samples"] == [
        {"prompt": "p", "completion": "<answer>1</answer>", "columns": {"answer": "1"}},
        {"prompt": "q", "completion": "", "columns": {}},
    ]
    path.write_text('{"prompt": "p"}\n{oops\n')
    with pytest.raises(SamplesError, match=r"typed.jsonl:2: not JSON"):
        from_dataset(path)
