"""A minimal blocking JSON-RPC client for the worker (tests, scripts): spawns `python -m rlstudio.worker`."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from typing import Any

from rlstudio.worker.protocol import FrameDecoder, encode


class WorkerProcess:
    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "rlstudio.worker"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.messages: queue.Queue[Any] = queue.Queue()
        self.stderr = bytearray()
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read(self) -> None:
        decoder = FrameDecoder()
        while chunk := os.read(self.process.stdout.fileno(), 65536):
            for message in decoder.feed(chunk):
                self.messages.put(message)
        self.messages.put(None)

    def _read_stderr(self) -> None:
        while chunk := os.read(self.process.stderr.fileno(), 65536):
            self.stderr += chunk

    def write(self, data: bytes) -> None:
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send_request(self, method: str, params: dict[str, Any] | None = None) -> int:
        self._next_id += 1
        self.write(encode({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params or {}}))
        return self._next_id

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self.write(encode({"jsonrpc": "2.0", "method": method, "params": params}))

    def next_message(self, timeout: float = 30.0) -> Any:
        return self.messages.get(timeout=timeout)

    def response(self, request_id: int, timeout: float = 30.0, notifications: list | None = None) -> dict[str, Any]:
        while True:
            message = self.next_message(timeout)
            assert message is not None, f"worker exited; stderr:\n{self.stderr.decode(errors='replace')}"
            if message.get("id") == request_id and "method" not in message:
                return message
            if notifications is not None:
                notifications.append(message)

    def request(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30.0) -> dict[str, Any]:
        return self.response(self.send_request(method, params), timeout)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
