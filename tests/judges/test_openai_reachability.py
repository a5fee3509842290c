"""An unreachable ``openai`` judge server is detected once, not paid for with retries on every step (issue 12).

Before: every request to a dead server spent all its retries (3.6 s per step by default) and said nothing more than
a failure count. Now the first request that gives up on connection errors (or a failed health check) pauses the
server: later requests fail at once, with the reason, until ``unreachable_retry_s`` has passed.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rrm_gym.judges import OpenAIJudge
from tests.judges.helpers import good_trajectory, request


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


class _Models(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server API
        body = json.dumps({"object": "list", "data": [{"id": "Agent-RRM", "object": "model"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def models_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Models)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_a_dead_server_costs_its_retries_once_then_fails_at_once():
    judge = OpenAIJudge(f"http://127.0.0.1:{_closed_port()}/v1", "m", max_retries=2, backoff=0.01, timeout=5)
    [first] = judge([request(good_trajectory())])
    assert not first.ok and "connection error" in first.error and judge.http_calls == 3
    assert judge.unreachable is not None
    later = judge([request(good_trajectory()) for _ in range(4)])
    assert judge.http_calls == 3  # no further HTTP attempt
    assert all(not j.ok and "unreachable" in j.error and "Connect" in j.error for j in later)


def test_the_server_is_tried_again_after_the_pause():
    judge = OpenAIJudge(f"http://127.0.0.1:{_closed_port()}/v1", "m", max_retries=0, timeout=5,
                        unreachable_retry_s=0.0)
    judge([request(good_trajectory())])
    judge([request(good_trajectory())])
    assert judge.http_calls == 2


def test_health_check_says_what_is_wrong(models_server):
    assert OpenAIJudge(models_server, "Agent-RRM").health_check() is None
    wrong = OpenAIJudge(models_server, "Agent-RM").health_check()
    assert "does not serve model 'Agent-RM'" in wrong and "Agent-RRM" in wrong
    dead = OpenAIJudge(f"http://127.0.0.1:{_closed_port()}/v1", "m", max_retries=3, backoff=0.01)
    problem = dead.health_check(timeout=2)
    assert problem.startswith("judge server") and "unreachable" in problem
    [j] = dead([request(good_trajectory())])
    assert not j.ok and dead.http_calls == 0  # the health check already found it down


def test_what_a_health_check_learns_spares_every_judge_of_that_server():
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    assert OpenAIJudge(url, "m").health_check(timeout=2) is not None  # e.g. the check before a run
    run_judge = OpenAIJudge(url, "m", max_retries=3, backoff=0.01)  # the run's own judge
    [j] = run_judge([request(good_trajectory())])
    assert not j.ok and run_judge.http_calls == 0


def test_an_answer_clears_the_pause(models_server):
    judge = OpenAIJudge(models_server, "Agent-RRM")
    judge._mark_down("pretend it was down")
    assert judge.unreachable is not None
    assert judge.health_check() is None and judge.unreachable is None
