"""The worker's JSON-RPC server: reads framed messages from one fd, writes to another.

Every request runs on its own thread, so `$/cancelRequest` is read while a job runs. Handlers get a
`Job` (cancellation flag, progress reporting) and return a JSON-able result or raise `RpcError`.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

from rlstudio.worker import protocol
from rlstudio.worker.protocol import FrameDecoder, RpcErrorCode

Handler = Callable[[dict[str, Any], "Job"], Any]


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.data = data


class Cancelled(RpcError):
    def __init__(self) -> None:
        super().__init__(RpcErrorCode.REQUEST_CANCELLED, "request cancelled")


class Job:
    """What a handler may use: whether the host cancelled, and a way to report progress."""

    def __init__(self, server: Server, request_id: Any, progress_token: Any) -> None:
        self.cancelled = threading.Event()
        self._server = server
        self._request_id = request_id
        self._progress_token = progress_token

    def check_cancelled(self) -> None:
        if self.cancelled.is_set():
            raise Cancelled()

    def progress(self, message: str, done: int | None = None, total: int | None = None) -> None:
        """`$/progress` {token, value: {message, done, total}}; only when the request gave a progressToken."""
        if self._progress_token is None:
            return
        value = {"message": message, "done": done, "total": total}
        self._server.notify("$/progress", {"token": self._progress_token, "value": value})


class Server:
    def __init__(self, in_fd: int, out_fd: int) -> None:
        self._in_fd = in_fd
        self._out_fd = out_fd
        self._write_lock = threading.Lock()
        self._handlers: dict[str, Handler] = {}
        self._jobs: dict[Any, Job] = {}
        self._jobs_lock = threading.Lock()
        self.exiting = threading.Event()

    def method(self, name: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self._handlers[name] = handler
            return handler

        return register

    # --- output ---

    def send(self, message: dict[str, Any]) -> None:
        data = protocol.encode(message)
        with self._write_lock:
            view = memoryview(data)
            while view:
                written = os.write(self._out_fd, view)
                view = view[written:]

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    # --- input ---

    def serve(self) -> None:
        """Read until end of input or an `exit` notification."""
        decoder = FrameDecoder()
        while not self.exiting.is_set():
            chunk = os.read(self._in_fd, 65536)
            if not chunk:
                break
            for message in decoder.feed(chunk):
                self.dispatch(message)

    def dispatch(self, message: Any) -> None:
        if protocol.is_unparsable(message):
            self._error(None, RpcErrorCode.PARSE_ERROR, f"parse error: {message.reason}")
            return
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            self._error(None, RpcErrorCode.INVALID_REQUEST, "not a JSON-RPC 2.0 message")
            return
        method = message.get("method")
        if method is None:
            return  # a response to something we never send requests for
        if method == "$/cancelRequest":
            with self._jobs_lock:
                job = self._jobs.get((message.get("params") or {}).get("id"))
            if job is not None:
                job.cancelled.set()
            return
        if method == "exit":
            self.exiting.set()
            return
        if "id" not in message:
            return  # unknown notification: ignored, as JSON-RPC asks
        request_id = message["id"]
        params = message.get("params") or {}
        handler = self._handlers.get(method)
        if handler is None:
            self._error(request_id, RpcErrorCode.METHOD_NOT_FOUND, f"unknown method {method!r}")
            return
        if not isinstance(params, dict):
            self._error(request_id, RpcErrorCode.INVALID_PARAMS, "params must be an object")
            return
        job = Job(self, request_id, params.get("progressToken"))
        with self._jobs_lock:
            self._jobs[request_id] = job
        threading.Thread(target=self._run, args=(handler, params, job, request_id), daemon=True,
                         name=f"rpc-{method}-{request_id}").start()

    def _run(self, handler: Handler, params: dict[str, Any], job: Job, request_id: Any) -> None:
        try:
            result = handler(params, job)
            self.send({"jsonrpc": "2.0", "id": request_id, "result": result})
        except RpcError as exc:
            self._error(request_id, exc.code, str(exc), exc.data)
        except Exception as exc:  # a bug in a handler must answer, not hang the host
            data = {"type": type(exc).__name__, "message": str(exc), "traceback": traceback.format_exc()}
            print(data["traceback"], file=sys.stderr)
            self._error(request_id, RpcErrorCode.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}", data)
        finally:
            with self._jobs_lock:
                self._jobs.pop(request_id, None)

    def _error(self, request_id: Any, code: int, message: str, data: Any = None) -> None:
        error: dict[str, Any] = {"code": int(code), "message": message}
        if data is not None:
            error["data"] = data
        self.send({"jsonrpc": "2.0", "id": request_id, "error": error})
