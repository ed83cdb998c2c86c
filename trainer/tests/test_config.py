"""Config validation messages, overrides, schema, and the `validate` / `schema` / `--version` CLI."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import textwrap

import pytest
from conftest import load

from rlstudio.config import ConfigError, json_schema, load_config, parse_config

VALID = """\
model: {name: ./m}
data: {path: d.jsonl}
rewards: [{name: a, ref: exact_answer}]
"""


def problems(text: str, overrides=None):
    with pytest.raises(ConfigError) as info:
        parse_config(textwrap.dedent(text), "x.yaml", overrides)
    return info.value.problems


def test_valid_config_fills_defaults():
    config = parse_config(VALID)
    assert config.algorithm.num_generations == 4
    assert config.recording.enabled and config.recording.max_rollouts is None
    assert config.rewards[0].on_error == "skip"


def test_every_problem_at_once_with_lines_and_did_you_mean():
    found = problems("""\
        model:
          name: ./m
          dtyp: float32
        data: {path: d.jsonl}
        rewards:
          - {name: a, ref: exact_answer, wieght: 2}
        algorithm:
          num_generations: "four"
          loss_type: dapoo
        """)
    by_path = {p.path: p for p in found}
    assert set(by_path) == {"model.dtyp", "rewards[0].wieght", "algorithm.num_generations", "algorithm.loss_type"}
    assert by_path["model.dtyp"].line == 3 and "did you mean `dtype`" in by_path["model.dtyp"].message
    assert by_path["rewards[0].wieght"].line == 6 and "`weight`" in by_path["rewards[0].wieght"].message
    assert by_path["algorithm.num_generations"].line == 8
    assert "expected an integer" in by_path["algorithm.num_generations"].message
    assert "did you mean `dapo`" in by_path["algorithm.loss_type"].message


def test_cross_field_checks():
    found = problems(VALID + "algorithm: {num_generations: 3, per_device_train_batch_size: 8, "
                             "top_entropy_quantile: 1.5}\n")
    messages = {p.path: p.message for p in found}
    assert "multiple of num_generations (3)" in messages["algorithm.per_device_train_batch_size"]
    assert "(0, 1]" in messages["algorithm.top_entropy_quantile"]
    assert all(p.line == 4 for p in found)


def test_missing_required_and_both_data_sources():
    found = problems("data: {path: d.jsonl, reasoning_gym: {task: chain_sum}}\nrewards: []\n")
    paths = {p.path for p in found}
    assert "model" in paths
    # structural problems first: cross-field checks run once the structure is valid
    assert all("missing required key" in p.message for p in found)


def test_extra_grpo_fields_are_checked_against_trl():
    found = problems(VALID + "algorithm: {extra: {mask_truncated_completions: true, mask_truncated_completion: x, "
                             "output_dir: y, scale_rewards: none}}\n")
    messages = {p.path: p.message for p in found}
    assert "did you mean `mask_truncated_completions`" in messages["algorithm.extra.mask_truncated_completion"]
    assert "managed by rlstudio" in messages["algorithm.extra.output_dir"]
    assert "set `algorithm.scale_rewards` directly" in messages["algorithm.extra.scale_rewards"]
    assert "algorithm.extra.mask_truncated_completions" not in messages


def test_overrides_are_parsed_as_yaml_and_validated():
    config = parse_config(VALID, overrides=["algorithm.beta=0.04", "recording.max_rollouts=16"])
    assert config.algorithm.beta == 0.04 and config.recording.max_rollouts == 16
    found = problems(VALID, overrides=["algorithm.max_stepz=3"])
    assert "did you mean `max_steps`" in found[0].message


def test_exponent_floats_without_a_dot_are_numbers():
    # YAML 1.1 (PyYAML's default) reads `1e-6` as a string; the editor's YAML 1.2 and the schema read a number.
    text = VALID + "algorithm: {learning_rate: 1e-6, beta: 4E-2}\n"
    config = parse_config(text, overrides=["algorithm.epsilon=2e-1"])
    assert config.algorithm.learning_rate == 1e-6 and config.algorithm.beta == 0.04
    assert config.algorithm.epsilon == 0.2
    assert parse_config(VALID + "name: 1e5x\n").name == "1e5x"


def test_invalid_yaml_reports_line():
    found = problems("model: {name: ./m\ndata: [\n")
    assert found[0].line is not None and "invalid YAML" in found[0].message


def test_yaml_syntax_error_names_the_file_and_the_real_position(tmp_path):
    # An unclosed quote used to be reported at the end of the file, in "<unicode string>".
    path = tmp_path / "c.rlstudio.yaml"
    path.write_text('name: t\nmodel:\n  name: "./model\ndata:\n  path: d.jsonl\nrewards: []\n')
    result = _cli("validate", str(path), "--json")
    assert result.returncode == 2
    [problem] = json.loads(result.stdout)["problems"]
    assert (problem["line"], problem["column"]) == (3, 9)
    assert "<unicode string>" not in problem["message"] and "quoted scalar" in problem["message"]
    text = _cli("validate", str(path)).stderr
    assert f"{path}:line 3, column 9" in text and "<unicode string>" not in text
    # A mapping error has no opening construct: its own position is the real one.
    path.write_text("name: t\nmodel:\n name: a\n  x: 2\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert (info.value.problems[0].line, info.value.problems[0].column) == (4, 4)
    assert "<unicode string>" not in str(info.value)


def test_missing_files_are_reported_before_loading(tmp_path):
    (tmp_path / "c.rlstudio.yaml").write_text(
        "model: {name: ./nope}\ndata: {path: missing.jsonl}\n"
        "rewards: [{name: a, ref: 'r.py:f'}, {name: b, ref: exact_anwser}]\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "c.rlstudio.yaml")
    messages = {p.path: p.message for p in info.value.problems}
    assert "model folder not found" in messages["model.name"]
    assert "dataset not found" in messages["data.path"]
    assert "reward file not found" in messages["rewards[0].ref"]
    assert "did you mean `exact_answer`" in messages["rewards[1].ref"]
    assert info.value.problems[0].line == 1


def test_reward_file_without_the_function(workspace):
    with pytest.raises(ConfigError) as info:
        load(workspace, "rewards=[{name: x, ref: 'rewards.py:nope'}]")
    assert "defines no top-level function `nope`" in info.value.problems[0].message


def test_validate_names_the_line_of_a_malformed_jsonl_dataset(workspace):
    """A malformed line used to pass `validate` and fail `train` with a DatasetGenerationError naming nothing."""
    lines = (workspace / "data.jsonl").read_text().splitlines()
    lines[2] = '{"question": "What is 3 + 4?", "answer": }'
    (workspace / "data.jsonl").write_text("\n".join(lines) + "\n")
    result = _cli("validate", str(workspace / "t.rlstudio.yaml"), "--json")
    assert result.returncode == 2
    [problem] = json.loads(result.stdout)["problems"]
    assert problem["path"] == "data.path" and problem["line"] == 6
    assert f"{workspace / 'data.jsonl'} line 3: not JSON (Expecting value at column 42)" in problem["message"]
    from rlstudio.data import DataError, load_dataset  # a config read without the checks (resume) says the same

    with pytest.raises(DataError) as info:
        load_dataset(load_config(workspace / "t.rlstudio.yaml", check_files=False))
    assert "data.jsonl line 3: not JSON" in str(info.value)


def test_validate_catches_broken_reward_files_and_missing_template_columns(workspace):
    (workspace / "broken.py").write_text("def f(completions, **kw):\n    return [1.0 for c in completions\n")
    (workspace / "imports.py").write_text("import os\nimport no_such_module_xyz\n\ndef f(completions, **kw):\n"
                                          "    return [0.0] * len(completions)\n")
    (workspace / "helper.py").write_text("X = 1\n")
    (workspace / "sibling.py").write_text("import helper\ntry:\n    import optional_thing\nexcept ImportError:\n"
                                          "    pass\n\ndef f(completions, **kw):\n"
                                          "    return [0.0] * len(completions)\n")
    with pytest.raises(ConfigError) as info:
        load(workspace, "rewards=[{name: a, ref: 'broken.py:f'}, {name: b, ref: 'imports.py:f'}, "
                        "{name: c, ref: 'sibling.py:f'}]", "data.template='Solve: {questoin}'")
    messages = {p.path: p.message for p in info.value.problems}
    assert "broken.py line 2: SyntaxError:" in messages["rewards[0].ref"]
    assert "imports.py line 2: imports `no_such_module_xyz`, which is not installed" in messages["rewards[1].ref"]
    assert "rewards[2].ref" not in messages  # a sibling module and a guarded optional import are fine
    assert "{questoin} names no column of" in messages["data.template"]
    assert "did you mean `question`" in messages["data.template"]


def test_schema_is_generated_from_the_dataclasses():
    schema = json_schema()
    assert schema["required"] == ["model", "data"]  # rewards: required by grpo and rloo, refused by dpo
    grpo, rloo, dpo = schema["properties"]["algorithm"]["anyOf"]
    assert [b["properties"]["name"]["enum"] for b in (grpo, rloo, dpo)] == [["grpo"], ["rloo"], ["dpo"]]
    assert "required" not in grpo and rloo["required"] == dpo["required"] == ["name"]  # grpo is the default
    assert dpo["properties"]["loss_type"]["enum"] == ["sigmoid", "robust", "ipo"]
    assert "label_smoothing" not in grpo["properties"] and "top_entropy_quantile" not in dpo["properties"]
    algo = grpo["properties"]
    assert algo["loss_type"]["enum"][:2] == ["grpo", "dr_grpo"]
    assert algo["top_entropy_quantile"]["default"] == 1.0 and algo["top_entropy_quantile"]["description"]
    reward = schema["properties"]["rewards"]["items"]
    assert reward["properties"]["on_error"]["enum"] == ["skip", "zero", "abort"]
    assert "base_dir" not in schema["properties"]
    json.dumps(schema)  # serializable


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "rlstudio", *args], capture_output=True, text=True, cwd=cwd)


def test_validate_cli_json_and_exit_code(tmp_path):
    bad = tmp_path / "bad.rlstudio.yaml"
    bad.write_text("model: {name: ./m}\ndata: {path: d.jsonl}\nrewards: [{name: a, ref: exact_answer}]\nsede: 1\n")
    result = _cli("validate", str(bad), "--json")
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["ok"] is False
    last = report["problems"][-1]
    assert (last["path"], last["line"], last["column"]) == ("sede", 4, 1)
    assert "did you mean `seed`" in report["problems"][-1]["message"]


def test_validate_does_not_import_heavy_libraries(workspace):
    code = (
        "import sys; from rlstudio.cli import main; rc = main(['validate', sys.argv[1]]);"
        "heavy = [m for m in ('torch', 'transformers', 'trl') if m in sys.modules];"
        "print(rc, heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code, str(workspace / "t.rlstudio.yaml")],
                            capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "0 []", result.stderr


def test_version_json():
    result = _cli("--version", "--json")
    versions = json.loads(result.stdout)
    assert versions["trl"] == "1.13.0" and versions["transformers"] == "5.17.0"
    assert versions["format"] == "rlstudio.run/1"
    assert set(versions) >= {"rlstudio", "torch", "python"}


def test_unknown_embedded_model_is_reported(tmp_path):
    (tmp_path / "e.rlstudio.yaml").write_text(
        'model: {name: "embedded:smollm2-999m"}\ndata: {reasoning_gym: {task: chain_sum}}\n'
        "rewards: [{name: rg, ref: reasoning_gym}]\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "e.rlstudio.yaml")
    (problem,) = info.value.problems
    assert problem.path == "model.name" and problem.line == 1 and "unknown embedded model" in problem.message


def test_trl_arguments_come_from_the_algorithm_fields_marked_for_trl(tmp_path):
    """Every TRL field of `algorithm` reaches GRPOConfig under its own name; `extra` too; rlstudio's own
    settings (the run directory, the seed, checkpoints) are set from the rest of the config."""
    from rlstudio.train import trl_args

    config = parse_config(VALID, overrides=["algorithm.epsilon_high=0.28", "algorithm.temperature=0.7",
                                            "algorithm.extra={mask_truncated_completions: true}", "seed=5",
                                            "checkpoints.keep_last=3"])
    args = trl_args(config, tmp_path, reward_weights=[1.0])
    marked = {f.name for f in dataclasses.fields(config.algorithm) if f.metadata.get("trl")}
    assert len(marked) == 19 and "name" not in marked and "extra" not in marked
    for name in marked:
        assert getattr(args, name) == getattr(config.algorithm, name), name
    assert (args.epsilon_high, args.temperature, args.mask_truncated_completions) == (0.28, 0.7, True)
    assert (args.seed, args.save_total_limit, args.output_dir) == (5, 3, str(tmp_path / "checkpoints"))


def test_reasoning_gym_reward_on_a_data_file_needs_its_columns(workspace):
    rg = "rewards=[{name: correct, ref: reasoning_gym}]"
    needs = r"rewards\[0\].ref: the reasoning_gym reward needs .* data.jsonl lacks metadata"
    with pytest.raises(ConfigError, match=needs):
        load(workspace, rg)
    # a subset written by `rlstudio select-subset` from a reasoning-gym run keeps answer and metadata
    (workspace / "subset.jsonl").write_text(
        '{"question": "2 + 2 =", "answer": "4", "metadata": "{\\"source_dataset\\": \\"chain_sum\\"}"}\n')
    assert load(workspace, rg, "data.path=subset.jsonl").rewards[0].ref == "reasoning_gym"
