"""Framing: messages split across chunks, several messages in one chunk, bad input."""

import pytest

from rlstudio.worker.protocol import FrameDecoder, ProtocolError, encode, is_unparsable


def test_round_trip_with_unicode():
    message = {"jsonrpc": "2.0", "id": 1, "method": "x", "params": {"text": "héllo 🙂 <script>"}}
    assert FrameDecoder().feed(encode(message)) == [message]


def test_message_split_at_every_byte():
    message = {"jsonrpc": "2.0", "id": 7, "method": "rewards/run", "params": {"text": "ünï"}}
    data = encode(message)
    decoder = FrameDecoder()
    received = []
    for i in range(len(data)):
        received += decoder.feed(data[i : i + 1])
        if i < len(data) - 1:
            assert received == []
    assert received == [message]


def test_several_messages_in_one_chunk_and_a_tail():
    messages = [{"jsonrpc": "2.0", "id": i, "method": "m", "params": {"i": i}} for i in range(3)]
    data = b"".join(encode(m) for m in messages)
    decoder = FrameDecoder()
    cut = len(data) - 5
    assert decoder.feed(data[:cut]) == messages[:2]
    assert decoder.feed(data[cut:]) == messages[2:]


def test_extra_headers_are_accepted():
    body = b'{"jsonrpc":"2.0","id":1,"method":"m"}'
    data = b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    assert FrameDecoder().feed(data) == [{"jsonrpc": "2.0", "id": 1, "method": "m"}]


def test_body_that_is_not_json_is_reported_and_the_stream_goes_on():
    data = b"Content-Length: 3\r\n\r\n{x}" + encode({"jsonrpc": "2.0", "id": 2, "method": "m"})
    first, second = FrameDecoder().feed(data)
    assert is_unparsable(first)
    assert second["id"] == 2


def test_missing_content_length_is_a_protocol_error():
    with pytest.raises(ProtocolError, match="Content-Length"):
        FrameDecoder().feed(b"Content-Type: x\r\n\r\n{}")
