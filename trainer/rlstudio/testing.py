"""Tiny local models for tests, fixtures and benchmarks (seeded, offline, < 5 s).

    python -m rlstudio.testing make-tiny-model DIR [--hidden 32 --layers 2]

builds a randomly initialized Qwen2-architecture model and a real byte-level BPE tokenizer trained
here with `tokenizers` on a small corpus, with a ChatML chat template, and saves both with
save_pretrained.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

_CORPUS = [
    "What is {a} + {b}? Think step by step, then answer in <answer></answer> tags.",
    "<think>{a} plus {b} makes {c}.</think><answer>{c}</answer>",
    "The quick brown fox jumps over the lazy dog. Ünïcödé text, émojis 🙂 and tabs\tare fine.",
    "Solve: {a} * {b} = ? The answer is {c}. Calculate the sum of the numbers.",
    "system user assistant You are a helpful assistant. Answer with a number.",
]


def _corpus() -> list[str]:
    lines = []
    for a in range(0, 60, 3):
        for b in range(0, 40, 7):
            for template in _CORPUS:
                lines.append(template.format(a=a, b=b, c=a + b))
    return lines


def make_tokenizer(vocab_size: int = 512):
    """A byte-level BPE tokenizer (GPT-2 style) trained locally, wrapped as a transformers tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(), trainer=trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        bos_token=None,
        unk_token=None,
    )
    wrapped.chat_template = CHAT_TEMPLATE
    return wrapped


def make_tiny_model(directory: str | Path, hidden_size: int = 32, num_layers: int = 2, seed: int = 0,
                    intermediate_size: int | None = None, num_heads: int = 4) -> Path:
    """Build and save a randomly initialized Qwen2 model plus tokenizer; return the folder."""
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = make_tokenizer()
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size or hidden_size * 2,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=max(1, num_heads // 2),
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id
    )
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rlstudio.testing")
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("make-tiny-model", help="build a tiny random Qwen2 model + tokenizer in DIR")
    make.add_argument("dir")
    make.add_argument("--hidden", type=int, default=32)
    make.add_argument("--layers", type=int, default=2)
    make.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    path = make_tiny_model(args.dir, hidden_size=args.hidden, num_layers=args.layers, seed=args.seed)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
