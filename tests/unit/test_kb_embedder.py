"""Embedders: the offline hashing one, and the OpenAI-compatible client against a local HTTP server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import numpy as np
import pytest

from core.errors import ServiceUnavailable
from core.settings import Settings
from kb.analysis.embedder import DIM, HashingEmbedder, OpenAIEmbedder, make_embedder
from kb.analysis.events import parse_events
from kb.analysis.normalise import normalise


def test_hashing_vectors_are_unit_length_and_host_independent():
    e = HashingEmbedder()
    a, b, c = e.embed(
        [
            "ssh: connect to host 10.10.3.42 port 22: Connection timed out",
            "ssh: connect to host 10.50.2.31 port 2222: Connection timed out",
            "Missing sudo password",
        ]
    )
    assert np.isclose(np.linalg.norm(a), 1.0) and a.shape == (DIM,)
    assert float(a @ b) > 0.99 > float(a @ c)


def test_normalise_drops_wrapper_fields_and_variables():
    t = normalise('{"changed": true, "rc": 1, "msg": "Unable to start service postgresql-16 on web-prod-01"}')
    assert "changed" not in t and "<host>" in t and t == t.lower()


class _Fake(BaseHTTPRequestHandler):
    calls: ClassVar[list[dict]] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Fake.calls.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        if body["model"] == "broken":
            self.send_response(500)
            self.end_headers()
            return
        data = [{"index": i, "embedding": [float(len(t)), 1.0, 0.0] * 1000} for i, t in enumerate(body["input"])]
        out = json.dumps({"data": list(reversed(data))}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_server():
    server = HTTPServer(("127.0.0.1", 0), _Fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_openai_embedder_against_a_local_server(fake_server):
    e = OpenAIEmbedder(fake_server, "k", "m", threshold=0.9)
    v = e.embed(["Missing sudo password", "x"])
    assert v.shape == (2, DIM) and np.allclose(np.linalg.norm(v, axis=1), 1.0)
    call = _Fake.calls[-1]
    assert call["path"] == "/v1/embeddings" and call["auth"] == "Bearer k"
    assert call["body"]["input"][0] == "missing sudo password"
    with pytest.raises(ServiceUnavailable):
        OpenAIEmbedder(fake_server, None, "broken", 0.9).embed(["x"])


def test_make_embedder_defaults_offline():
    assert make_embedder(Settings()).name == "hashing"
    s = Settings.model_validate({"kb": {"embedder": "openai"}, "llm": {"base_url": "http://127.0.0.1:1/v1"}})
    assert make_embedder(s).name == "openai" and make_embedder(s).threshold == s.kb.openai_similarity_threshold


def test_events_loop_items_ignore_errors_and_stats():
    ev = [
        {"event": "playbook_on_task_start", "counter": 1, "task": "Stop", "event_data": {"task_uuid": "t"}},
        {
            "event": "runner_item_on_failed",
            "counter": 2,
            "host_name": "app01",
            "task": "Stop",
            "event_data": {"task_uuid": "t", "res": {"item": "tomcat", "msg": "Could not find tomcat"}},
        },
        {
            "event": "runner_on_failed",
            "counter": 3,
            "host_name": "app01",
            "task": "Stop",
            "event_data": {
                "task_uuid": "t",
                "ignore_errors": True,
                "res": {
                    "msg": "One or more items failed",
                    "results": [{"item": "tomcat", "failed": True, "msg": "Could not find tomcat"}],
                },
            },
        },
        {
            "event": "runner_on_unreachable",
            "counter": 4,
            "host_name": "db01",
            "task": "Stop",
            "event_data": {"task_uuid": "t", "res": {"msg": "Failed to connect", "unreachable": True}},
        },
        {
            "event": "runner_on_failed",
            "counter": 5,
            "host_name": "web02",
            "task": "Stop",
            "role": "r",
            "event_data": {"task_uuid": "t", "res": "not a dict"},
        },
        {"event": "playbook_on_stats", "counter": 6, "event_data": {"dark": {"db01": 1}, "failures": {"web02": 1}}},
        "garbage",
    ]
    a = parse_events(ev)
    assert [(f.host, f.task, f.unreachable) for f in a.failures] == [
        ("db01", "Stop", True),
        ("web02", "r : Stop", False),
    ]
    assert [(f.host, f.item, f.match_text) for f in a.ignored] == [
        ("app01", "tomcat", "One or more items failed\nCould not find tomcat")
    ]
