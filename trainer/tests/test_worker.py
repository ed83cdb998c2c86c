"""The worker process for real: handshake, stdout hygiene, cancellation, timeouts, crashes."""

import textwrap
import time

import pytest

from rlstudio.worker.client import WorkerProcess


@pytest.fixture
def worker():
    process = WorkerProcess()
    yield process
    process.close()


def write_rewards(tmp_path, body: str):
    path = tmp_path / "my_rewards.py"
    path.write_text(textwrap.dedent(body))
    return path


SAMPLES = [
    {"prompt": "1+1?", "completion": "<answer>2</answer>", "columns": {"answer": "2"}},
    {"prompt": "2+2?", "completion": "<answer>5</answer>", "columns": {"answer": "4"}},
    {"prompt": "3+3?", "completion": "no answer", "columns": {"answer": "6"}},
]


def test_handshake_reports_protocol_and_versions(worker):
    result = worker.request("initialize")["result"]
    assert result["protocol"] == "rlstudio.worker/1"
    assert result["versions"]["rlstudio"] == "0.1.0"
    assert result["versions"]["trl"] == "1.13.0"
    assert result["pid"] == worker.process.pid


def test_unknown_method_and_split_request(worker):
    from rlstudio.worker.protocol import encode

    data = encode({"jsonrpc": "2.0", "id": 1, "method": "no/such"})
    worker.write(data[:10])
    time.sleep(0.1)
    worker.write(data[10:] + encode({"jsonrpc": "2.0", "id": 2, "method": "initialize"}))
    assert worker.response(1)["error"]["code"] == -32601
    assert worker.response(2)["result"]["protocol"] == "rlstudio.worker/1"


def test_builtins_and_user_function_scores_with_prints_kept_off_stdout(worker, tmp_path):
    path = write_rewards(tmp_path, """
        def shout(completions, **kwargs):
            print("user print goes to stderr")
            return [float(len(c)) for c in completions]
    """)
    params = {
        "functions": [
            {"name": "exact", "ref": "exact_answer", "weight": 2.0},
            {"name": "shout", "ref": f"{path}:shout", "weight": 0.5},
        ],
        "samples": SAMPLES,
    }
    result = worker.request("rewards/run", params)["result"]
    exact, shout = result["functions"]
    assert exact["scores"] == [1.0, 0.0, 0.0]
    assert shout["scores"] == [18.0, 18.0, 9.0]
    assert result["total"] == [2.0 + 9.0, 9.0, 4.5]
    assert exact["errors"] == [] and shout["errors"] == []
    deadline = time.time() + 5
    while b"user print goes to stderr" not in worker.stderr and time.time() < deadline:
        time.sleep(0.05)
    assert b"user print goes to stderr" in worker.stderr


def test_rewards_list_finds_functions_by_signature(worker, tmp_path):
    path = write_rewards(tmp_path, """
        import re

        def helper(text):
            return text

        def correct(prompts, completions, answer, **kwargs):
            return [0.0] * len(completions)

        async def later(completions):
            return []
    """)
    result = worker.request("rewards/list", {"file": str(path)})["result"]
    assert [(f["name"], f["line"]) for f in result["functions"]] == [("correct", 7), ("later", 10)]
    assert {"exact_answer", "format", "length_penalty", "rlcr"} <= {b["name"] for b in result["builtins"]}


@pytest.mark.parametrize(
    ("body", "kind", "indices", "fragment"),
    [
        ("raise ValueError('boom')", "ValueError", [0, 1, 2], "boom"),
        ("return [1.0]", "BadRewardValue", [0, 1, 2], "returned 1 values for 3 completions"),
        ("return [1.0, float('nan'), 0.0]", "BadRewardValue", [1], "nan"),
        ("return [1.0, 0.0, 'high']", "BadRewardValue", [2], "non-numeric 'high'"),
    ],
)
def test_reward_errors_name_the_function_and_index(worker, tmp_path, body, kind, indices, fragment):
    path = write_rewards(tmp_path, f"def bad(completions, **kwargs):\n    {body}\n")
    params = {"functions": [{"name": "bad", "ref": f"{path}:bad"}], "samples": SAMPLES}
    (result,) = worker.request("rewards/run", params)["result"]["functions"]
    (error,) = result["errors"]
    assert error["indices"] == indices
    assert error["error"]["type"] == kind
    assert fragment in error["error"]["message"]
    if kind != "ValueError":
        assert "'bad'" in error["error"]["message"]
    else:
        assert f'File "{path}", line 2, in bad' in error["error"]["traceback"]


def test_import_error_in_user_file_carries_its_traceback(worker, tmp_path):
    path = write_rewards(tmp_path, "def broken(completions):\n    return [\n")
    params = {"functions": [{"name": "broken", "ref": f"{path}:broken"}], "samples": SAMPLES}
    (result,) = worker.request("rewards/run", params)["result"]["functions"]
    assert result["scores"] == [None, None, None]
    assert result["errors"][0]["error"]["type"] == "SyntaxError"
    assert str(path) in result["errors"][0]["error"]["traceback"]


def test_hung_function_is_killed_named_and_the_next_call_works(worker, tmp_path):
    path = write_rewards(tmp_path, """
        def hang(completions, **kwargs):
            while True:
                pass

        def ok(completions, **kwargs):
            return [1.0] * len(completions)
    """)
    params = {
        "functions": [{"name": "hang", "ref": f"{path}:hang"}, {"name": "ok", "ref": f"{path}:ok"}],
        "samples": SAMPLES,
        "timeoutS": 1.0,
    }
    started = time.monotonic()
    hang, ok = worker.request("rewards/run", params)["result"]["functions"]
    assert time.monotonic() - started < 15
    assert hang["errors"][0]["error"]["type"] == "Timeout"
    assert "'hang' did not return within 1 s" in hang["errors"][0]["error"]["message"]
    assert hang["errors"][0]["indices"] == [0, 1, 2]
    assert ok["scores"] == [1.0, 1.0, 1.0]
    assert worker.request("worker/debug")["result"]["executorRestarts"] == 1


def test_function_that_kills_its_process_is_reported(worker, tmp_path):
    path = write_rewards(tmp_path, "import os\n\ndef die(completions, **kwargs):\n    os._exit(3)\n")
    params = {"functions": [{"name": "die", "ref": f"{path}:die"}], "samples": SAMPLES}
    (result,) = worker.request("rewards/run", params)["result"]["functions"]
    assert result["errors"][0]["error"]["type"] == "ProcessDied"
    assert "exit code 3" in result["errors"][0]["error"]["message"]


def test_cancel_a_running_reward_function(worker, tmp_path):
    path = write_rewards(tmp_path, "import time\n\ndef slow(completions, **kwargs):\n    time.sleep(60)\n")
    request_id = worker.send_request("rewards/run", {
        "functions": [{"name": "slow", "ref": f"{path}:slow"}], "samples": SAMPLES, "timeoutS": 120})
    time.sleep(1.0)
    worker.notify("$/cancelRequest", {"id": request_id})
    started = time.monotonic()
    response = worker.response(request_id, timeout=10)
    assert time.monotonic() - started < 5
    assert response["error"]["code"] == -32800


def test_progress_notifications_and_cancel_of_another_request(worker):
    notes = []
    result = worker.response(worker.send_request("rewards/run", {
        "functions": [{"name": "format", "ref": "format"}, {"name": "length", "ref": "length_penalty"}],
        "samples": SAMPLES, "progressToken": "tok-1"}), notifications=notes)
    assert "result" in result
    progress = [n["params"] for n in notes if n.get("method") == "$/progress"]
    assert [p["value"]["done"] for p in progress] == [0, 1, 2]
    assert all(p["token"] == "tok-1" for p in progress)
    slow = worker.send_request("worker/debug", {"sleep": 30})
    fast = worker.send_request("initialize")
    assert "result" in worker.response(fast)
    worker.notify("$/cancelRequest", {"id": slow})
    assert worker.response(slow, timeout=5)["error"]["code"] == -32800


def test_exit_notification_ends_the_process(worker):
    worker.request("shutdown")
    worker.notify("exit", {})
    assert worker.process.wait(timeout=10) == 0
