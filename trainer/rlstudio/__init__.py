"""RL Studio trainer: RL post-training on Hugging Face TRL that records every token."""

__version__ = "0.1.0"

FORMAT = "rlstudio.run/1"
