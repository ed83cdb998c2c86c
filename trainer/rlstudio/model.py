"""Policy model and tokenizer: a local folder, a hub id already in the local cache, or `embedded:<name>`.

Nothing is ever downloaded (HF_HUB_OFFLINE is set by the CLI; `local_files_only=True` here too).
"""

from __future__ import annotations

from rlstudio.config import RunConfig


def load_model(config: RunConfig):
    """(model, tokenizer, peft_config or None)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = getattr(torch, config.model.dtype)
    name = config.model.name
    if name.startswith("embedded:"):
        from rlstudio.embedded import load_embedded  # engineer D's module; imported only when used

        model, tokenizer = load_embedded(name, config.model.dtype)
    else:
        local = config.resolve(name)
        source = str(local) if local.exists() else name
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, local_files_only=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer, _peft_config(config)


def _peft_config(config: RunConfig):
    lora = config.model.lora
    if lora is None:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=lora.target_modules,
        task_type="CAUSAL_LM",
    )
