"""A tiny stand-in of the patchpilot REST API for UI tests: a real HTTP server on 127.0.0.1 in a thread.

It serves the documented shapes (chat, jobs, KB) from memory. A job advances one step each
time it is fetched, so a UI following it sees queued -> running -> per-host verdicts -> failed.
Every request is recorded (method, path, the signed-in user) so tests can check identity.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import re2

NOW = "2026-11-27T21:00:00Z"
HOST = re.compile(r"\b[a-z]+-(?:stg|prod|dev)-\d+\b")
NO_SPACE = "Error: [Errno 28] No space left on device: '/var/cache/dnf/kernel-core-5.14.0.rpm'"
UNMATCHED = "rpmdb open failed on host web-stg-02: error 42 at /var/lib/rpm/Packages"


def _env(host: str) -> str:
    return {"stg": "staging", "prod": "prod", "dev": "dev"}[host.split("-")[1]]


@dataclass
class FakeJob:
    id: int
    hosts: list[str]
    requested_by: str
    needs_approval: bool = False
    steps: int = 0
    canceled: bool = False
    approved_by: str | None = None
    reanalysed: bool = False

    def status(self) -> str:
        if self.canceled:
            return "canceled"
        if self.needs_approval and not self.approved_by:
            return "awaiting_approval"
        return ["queued", "running", "running", "running"][self.steps] if self.steps < 4 else "failed"

    def body(self, kb_slug_for_unmatched: str | None) -> dict[str, Any]:
        status = self.status()
        hosts = []
        for i, h in enumerate(self.hosts):
            verdict = "pending"
            if status in ("failed", "canceled") or self.steps >= 2 + i:
                verdict = "failed" if h == "web-stg-02" else "changed"
            if status == "canceled" and self.steps < 2:
                verdict = "pending"
            hosts.append(
                {"host": h, "status": verdict, "counts": {"ok": 3, "changed": 1, "failed": int(verdict == "failed")}}
            )
        failures = []
        if status == "failed" and "web-stg-02" in self.hosts:
            failures.append(
                {
                    "host": "web-stg-02",
                    "task": "Apply updates",
                    "message": NO_SPACE,
                    "kb": {
                        "slug": "dnf-no-space-left",
                        "title": "dnf: no space left on device",
                        "category": "disk",
                        "match": "exact",
                        "score": None,
                        "solution": "Free space in **/var**: `dnf clean all`.\n\n<script>alert('x')</script>",
                    },
                }
            )
            kb = None
            if kb_slug_for_unmatched:
                kb = {
                    "slug": kb_slug_for_unmatched,
                    "title": "RPM database",
                    "category": "other",
                    "match": "exact",
                    "score": None,
                    "solution": "Rebuild it: `rpm --rebuilddb`.",
                }
            failures.append({"host": "web-stg-02", "task": "Check rpmdb", "message": UNMATCHED, "kb": kb})
        if status == "failed" and "web-stg-03" in self.hosts:
            failures.append(
                {
                    "host": "web-stg-03",
                    "task": "Reboot",
                    "message": "timed out waiting for reboot",
                    "kb": {
                        "slug": "reboot-timeout",
                        "title": "Reboot timed out",
                        "match": "similar",
                        "score": 0.951,
                        "solution": "Check the console.",
                    },
                }
            )
        return {
            "id": self.id,
            "status": status,
            "intent": {"action": "patch", "hosts": self.hosts},
            "requested_by": self.requested_by,
            "hosts": hosts,
            "failures": failures,
            "needs_approval": self.needs_approval,
            "approved_by": self.approved_by,
            "not_before": None,
            "awx_job_id": 100 + self.id if self.steps >= 1 else None,
            "error": None,
            "created_at": NOW,
            "updated_at": NOW,
            "started_at": None,
            "finished_at": None,
        }


@dataclass
class FakeApi:
    jobs: dict[int, FakeJob] = field(default_factory=dict)
    tokens: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stale_next_confirm: bool = False
    matched_slug: str | None = None
    test_calls: int = 0

    def __post_init__(self) -> None:
        self.save(
            "seed",
            {
                "slug": "dnf-no-space-left",
                "title": "dnf: no space left on device",
                "category": "disk",
                "patterns": [r"No space left on device"],
                "modules": ["dnf"],
                "solution": "Free space.",
                "references": [],
                "samples": {"match": [NO_SPACE], "no_match": []},
                "enabled": True,
            },
        )

    def save(self, user: str, entry: dict[str, Any]) -> dict[str, Any]:
        version = self.entries.get(entry["slug"], {}).get("version", 0) + 1
        stored = {**entry, "version": version, "updated_by": user, "updated_at": NOW, "created_at": NOW}
        self.entries[entry["slug"]] = stored
        data = {k: v for k, v in entry.items() if k not in ("version", "updated_by", "updated_at", "created_at")}
        self.history.setdefault(entry["slug"], []).insert(
            0, {"version": version, "data": data, "changed_by": user, "changed_at": NOW}
        )
        return stored

    # --- routing -----------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, str], body: Any, user: str) -> tuple[int, Any]:
        p = path.removeprefix("/api/v1")
        if method == "GET" and p == "/users/me":
            return 200, {"name": user, "roles": ["operator"], "via": "token"}
        if method == "POST" and p == "/chat":
            return self.chat(body, user)
        if m := re.fullmatch(r"/chat/([^/]+)/confirm", p):
            return self.confirm(m.group(1), body, user)
        if (m := re.fullmatch(r"/chat/([^/]+)/pending", p)) and method == "DELETE":
            mine = [t for t, (sid, _) in self.tokens.items() if sid == m.group(1)]
            if not mine:
                return 409, {"error": "conflict", "detail": "nothing is pending"}
            for t in mine:
                del self.tokens[t]
            return 200, {"reply": "Dropped; nothing was queued.", "pending": None, "job_id": None}
        if p == "/jobs" and method == "GET":
            items = [
                j.body(self.matched_slug)
                for j in sorted(self.jobs.values(), key=lambda j: -j.id)
                if not query.get("requested_by") or j.requested_by == query["requested_by"]
            ]
            return 200, {"items": items, "total": len(items), "limit": 20, "offset": 0}
        if m := re.fullmatch(r"/jobs/(\d+)(/\w+)?", p):
            return self.job(int(m.group(1)), m.group(2) or "", method, user)
        if p.startswith("/kb/"):
            return self.kb(method, p.removeprefix("/kb"), query, body, user)
        return 404, {"error": "not_found", "detail": f"no route {p}"}

    def chat(self, body: dict[str, Any], user: str) -> tuple[int, Any]:
        message = body["message"]
        if "explode" in message:
            return 500, {"error": "internal_error", "detail": "unexpected error; it was logged with reference abc123"}
        hosts = sorted(set(HOST.findall(message)))
        if not hosts:
            return 200, {"reply": f"I did not find hosts in: {message}", "pending": None, "job_id": None}
        token = uuid.uuid4().hex
        self.tokens[token] = (body["session_id"], hosts)
        by_env: dict[str, list[str]] = {}
        for h in hosts:
            by_env.setdefault(_env(h), []).append(h)
        pending = {
            "intent": {
                "action": "patch",
                "hosts": hosts,
                "security_only": "security" in message,
                "reboot": "if_needed",
            },
            "summary": f"Patch **{len(hosts)}** host(s) <b>now</b>.",
            "hosts_by_env": by_env,
            "needs_approval": any("prod" in h for h in hosts),
            "starts_at": None,
            "token": token,
        }
        return 200, {"reply": "Here is what I will do. Confirm to start.", "pending": pending, "job_id": None}

    def confirm(self, session_id: str, body: dict[str, Any], user: str) -> tuple[int, Any]:
        entry = self.tokens.pop(body.get("token", ""), None)
        if self.stale_next_confirm or entry is None or entry[0] != session_id:
            return 409, {"error": "conflict", "detail": "the proposal is stale (the inventory changed)."}
        job = FakeJob(
            id=len(self.jobs) + 1, hosts=entry[1], requested_by=user, needs_approval=any("prod" in h for h in entry[1])
        )
        self.jobs[job.id] = job
        return 200, {"reply": f"Job {job.id} is queued.", "job_id": job.id}

    def job(self, job_id: int, action: str, method: str, user: str) -> tuple[int, Any]:
        job = self.jobs.get(job_id)
        if job is None:
            return 404, {"error": "not_found", "detail": f"no job {job_id}"}
        if action == "" and method == "GET":
            if job.status() not in ("awaiting_approval", "canceled"):
                job.steps += 1
            return 200, job.body(self.matched_slug)
        if action == "/stdout":
            return 200, "PLAY [all] ***\nfatal: [web-stg-02]: FAILED!\n\nPLAY RECAP ***\n"
        if action == "/cancel":
            job.canceled = True
            return 200, job.body(self.matched_slug)
        if action == "/approve":
            if user == job.requested_by:
                return 403, {"error": "forbidden", "detail": "a second person must approve (not the requester)"}
            job.approved_by = user
            return 200, job.body(self.matched_slug)
        if action == "/reanalyse":
            matched = self.matched_slug is None and any(
                re2.search(pat, UNMATCHED, options=_ci())
                for e in self.entries.values()
                if e.get("enabled", True)
                for pat in e["patterns"]
                if e["slug"] != "dnf-no-space-left"
            )
            if matched:
                self.matched_slug = next(s for s in self.entries if s != "dnf-no-space-left")
            return 200, [f for f in job.body(self.matched_slug)["failures"]]
        return 404, {"error": "not_found", "detail": "no such job action"}

    def kb(self, method: str, p: str, query: dict[str, str], body: Any, user: str) -> tuple[int, Any]:
        if p == "/entries" and method == "GET":
            q = query.get("q", "").lower()
            items = [
                e
                for e in self.entries.values()
                if (not q or q in e["slug"] or q in e["title"].lower())
                and (not query.get("category") or e["category"] == query["category"])
                and ("enabled" not in query or str(e["enabled"]).lower() == query["enabled"])
            ]
            return 200, items
        if p == "/entries" and method == "POST":
            if body["slug"] in self.entries:
                return 409, {"error": "conflict", "detail": f"an entry {body['slug']} exists"}
            bad = self._invalid(body.get("patterns", []))
            if bad:
                return 422, bad
            conflicts = [{"slug": "dnf-no-space-left", "sample": t} for t in body["samples"]["match"] if "space" in t]
            return 201, {**self.save(user, body), "conflicts": conflicts}
        if m := re.fullmatch(r"/entries/([^/]+)(/\w+)?", p):
            slug, action = unquote(m.group(1)), m.group(2) or ""
            entry = self.entries.get(slug)
            if entry is None:
                return 404, {"error": "not_found", "detail": f"no KB entry {slug}"}
            if action == "" and method == "GET":
                return 200, entry
            if action == "" and method == "PUT":
                if "slug" in body or "version" in body:  # EntryUpdate forbids extra fields
                    return 422, {"error": "validation_failed", "detail": "unknown field", "errors": []}
                bad = self._invalid(body.get("patterns", []))
                if bad:
                    return 422, bad
                return 200, {**self.save(user, {**body, "slug": slug}), "conflicts": []}
            if action in ("/enable", "/disable"):
                return 200, self.save(user, {**entry, "enabled": action == "/enable"})
            if action == "/history":
                return 200, self.history[slug]
        if p == "/test" and method == "POST":
            return self.test(body)
        if p == "/unmatched":
            groups = [
                {
                    "template": "rpmdb open failed on host <host>: error <n> at <path>",
                    "count": 3,
                    "hosts": ["web-stg-02", "web-stg-04"],
                    "first_seen": NOW,
                    "last_seen": NOW,
                    "example": UNMATCHED,
                },
                {
                    "template": "<script>alert(1)</script> weird <n>",
                    "count": 1,
                    "hosts": ["db-dev-01"],
                    "first_seen": NOW,
                    "last_seen": NOW,
                    "example": {"message": "<script>alert(1)</script> weird 7"},
                },
            ]
            return 200, [] if self.matched_slug else groups
        return 404, {"error": "not_found", "detail": f"no KB route {p}"}

    def _invalid(self, patterns: list[str]) -> dict[str, Any] | None:
        for pat in patterns:
            try:
                re2.compile(pat, options=_ci())
            except re2.error as exc:
                reason = exc.args[0] if exc.args else str(exc)
                reason = reason.decode() if isinstance(reason, bytes) else reason
                detail = f"invalid pattern {pat!r}: {reason}"
                return {"error": "invalid_pattern", "detail": detail, "pattern": pat}
        return None

    def test(self, body: dict[str, Any]) -> tuple[int, Any]:
        """The shape of kb.entries.try_pattern."""
        self.test_calls += 1
        out: dict[str, Any] = {}
        if body.get("text") is not None:
            out["text_matches"] = [
                s
                for s, e in self.entries.items()
                if any(re2.search(p, body["text"], options=_ci()) for p in e["patterns"])
            ]
        pattern = body.get("pattern")
        if pattern is None:
            return 200, out
        bad = self._invalid([pattern])
        if bad:
            return 422, bad
        rx = re2.compile(pattern, options=_ci())
        if body.get("text") is not None:
            out["pattern_matches_text"] = rx.search(body["text"]) is not None
        out["other_entries_samples"] = [
            {"slug": e["slug"], "sample": t}
            for e in self.entries.values()
            if e["slug"] != body.get("slug")
            for t in e["samples"]["match"]
            if rx.search(t)
        ]
        stored = [
            (1, "web-stg-02", "Check rpmdb", UNMATCHED, self.matched_slug),
            (1, "web-stg-02", "Apply updates", NO_SPACE, "dnf-no-space-left"),
        ]
        out["past_failures"] = [
            {"failure_id": i, "job_id": job, "host": host, "task": task, "current_slug": slug}
            for i, (job, host, task, text, slug) in enumerate(stored, 1)
            if rx.search(text)
        ]
        out["conflicts"] = [p for p in out["past_failures"] if p["current_slug"] not in (None, body.get("slug"))]
        return 200, out


def _ci() -> Any:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    return options


class FakeServer:
    """Serve a FakeApi on a free 127.0.0.1 port until :meth:`stop`."""

    def __init__(self, api: FakeApi | None = None) -> None:
        self.api = api or FakeApi()
        api_ = self.api

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                url = urlparse(self.path)
                query = {k: v[-1] for k, v in parse_qs(url.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else {}
                auth = self.headers.get("Authorization", "")
                # The fake's tokens are the users' names: "Bearer alice" signs in as alice.
                user = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else None
                user = user or self.headers.get("X-Patchpilot-User")
                with api_.lock:
                    api_.requests.append((self.command, url.path, user))
                    status, payload = api_.handle(self.command, url.path, query, body, user or "operator")
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain" if isinstance(payload, str) else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
