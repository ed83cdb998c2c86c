"""`python -m rlstudio.worker`: the RL Studio worker, JSON-RPC 2.0 over stdio (docs/worker-protocol.md).

Stdout carries only protocol. At start the real stdout is moved to a private descriptor and file
descriptor 1 is pointed at stderr, so anything else that prints — user reward code, libraries,
C extensions, child processes — lands on stderr, which the extension shows in an output channel.
"""

from __future__ import annotations

import os
import sys


def main() -> int:
    protocol_out = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    from rlstudio.worker.methods import register
    from rlstudio.worker.server import Server

    server = Server(in_fd=0, out_fd=protocol_out)
    register(server)
    print(f"rlstudio worker {os.getpid()} ready", file=sys.stderr, flush=True)
    server.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
