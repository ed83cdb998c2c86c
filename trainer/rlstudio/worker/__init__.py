"""The RL Studio worker: on-demand jobs for the extension over JSON-RPC (`python -m rlstudio.worker`)."""
