"""A tiny OpenAI-compatible HTTP server on 127.0.0.1 for tests and the bench (no network, no model).

``/v1/chat/completions`` answers with the next scripted reply, or, with no
script, with the tool call the offline reader would make, so the real
langchain-openai client, HTTP and tool-call parsing are exercised end to end.
Each reply is a dict: ``{"tool": name, "arguments": str|dict}`` or ``{"text": str}``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from agent.reader.conversation import decide


def _messages(payload: dict[str, Any]) -> list[BaseMessage]:
    out: list[BaseMessage] = []
    for m in payload.get("messages", []):
        if m["role"] == "user":
            out.append(HumanMessage(m.get("content") or ""))
        elif m["role"] == "tool":
            out.append(ToolMessage(m.get("content") or "", tool_call_id=m.get("tool_call_id", "")))
        elif m["role"] == "assistant":
            out.append(AIMessage(m.get("content") or ""))
    return out


class FakeOpenAI:
    def __init__(self, inventory: Any = None) -> None:
        self.inventory = inventory  # the inventory the unscripted fallback reads against
        self.script: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def reply_for(self, payload: dict[str, Any]) -> dict[str, Any]:
        if self.script:
            return self.script.pop(0)
        decision = decide(_messages(payload), self.inventory)
        return {"text": decision} if isinstance(decision, str) else {"tool": decision[0], "arguments": decision[1]}

    def completion(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(payload)
        reply = self.reply_for(payload)
        message: dict[str, Any] = {"role": "assistant", "content": reply.get("text")}
        if "tool" in reply:
            args = reply["arguments"]
            message["tool_calls"] = [
                {
                    "id": f"call_{len(self.requests)}",
                    "type": "function",
                    "function": {
                        "name": reply["tool"],
                        "arguments": args if isinstance(args, str) else json.dumps(args),
                    },
                }
            ]
        return {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": 0,
            "model": payload.get("model", "fake"),
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if "tool" in reply else "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    @contextmanager
    def running(self) -> Iterator[FakeOpenAI]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                data = json.dumps(fake.completion(body)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join(timeout=5)
