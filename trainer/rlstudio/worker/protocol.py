"""JSON-RPC 2.0 messages with LSP-style `Content-Length` framing (what vscode-jsonrpc speaks).

    Content-Length: 52\r\n
    \r\n
    {"jsonrpc":"2.0","id":1,"method":"initialize",...}

`FrameDecoder` turns arbitrary chunks of bytes into messages: a message may arrive split across
chunks, and one chunk may carry several messages. `encode` frames one message.
"""

from __future__ import annotations

import enum
import json
from typing import Any


class RpcErrorCode(enum.IntEnum):
    """JSON-RPC / LSP error codes."""

    PARSE_ERROR = -32700
    INVALID_REQUEST = -32600
    METHOD_NOT_FOUND = -32601
    INVALID_PARAMS = -32602
    INTERNAL_ERROR = -32603
    REQUEST_CANCELLED = -32800


class ProtocolError(Exception):
    """The byte stream is not valid framing; the connection cannot continue."""


def encode(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class FrameDecoder:
    """Incremental decoder: `feed(chunk)` returns the complete messages the chunk finished."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> list[Any]:
        self._buffer += chunk
        messages = []
        while True:
            header_end = self._buffer.find(b"\r\n\r\n")
            if header_end < 0:
                return messages
            length = _content_length(bytes(self._buffer[:header_end]))
            body_start = header_end + 4
            if len(self._buffer) - body_start < length:
                return messages
            body = bytes(self._buffer[body_start : body_start + length])
            del self._buffer[: body_start + length]
            try:
                messages.append(json.loads(body.decode("utf-8")))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                messages.append(_Unparsable(str(exc)))


class _Unparsable:
    """A well-framed body that is not JSON: answered with a parse error, the stream goes on."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def is_unparsable(message: Any) -> bool:
    return isinstance(message, _Unparsable)


def _content_length(header: bytes) -> int:
    length = None
    for line in header.split(b"\r\n"):
        name, sep, value = line.partition(b":")
        if not sep:
            raise ProtocolError(f"malformed header line {line[:80]!r}")
        if name.strip().lower() == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                raise ProtocolError(f"Content-Length is not an integer: {value[:40]!r}") from None
    if length is None or length < 0:
        raise ProtocolError("header without a valid Content-Length")
    return length
