"""An LLM's pick among the fallback's candidates, for failures the signals leave open.

Only with an OpenAI-compatible model configured (``settings.llm.base_url``). The model sees the
failure text (redacted) and the candidates' slugs and titles, and answers one slug or ``none``;
kb.engine takes the pick only when ``Profiles.verify_choice`` finds the entry's own words in the
failure. A failing or rambling model yields no pick, never an error.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.request
from collections.abc import Callable, Sequence

from core.redact import redact
from core.settings import Settings
from kb.analysis.fallback import Scored

log = logging.getLogger(__name__)
MAX_INPUT = 4000
PROMPT = (
    "You match a failed Linux patch task to a known-issue entry. Answer with exactly one of the candidate ids, "
    "or 'none' when no candidate describes this failure's cause. A candidate about another tool, another "
    "resource or another error than the failure names is 'none'. Answer the id only."
)
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def parse_pick(reply: str, candidates: Sequence[str]) -> str | None:
    """The one candidate id the reply names; None for 'none', no id, or several.

    >>> parse_pick("dnf-rpmdb-lock", ["dnf-rpmdb-lock", "apt-dpkg-lock-held"])
    'dnf-rpmdb-lock'
    >>> parse_pick("none", ["dnf-rpmdb-lock"]) is None, parse_pick("a or b", ["a", "b"]) is None
    (True, True)
    """
    named = {t for t in _SLUG.findall(reply.lower()) if t in candidates}
    return named.pop() if len(named) == 1 else None


def openai_chooser(base_url: str, api_key: str | None, model: str, timeout_s: float) -> Callable[..., str | None]:
    """``choose(text, candidates)`` over ``POST {base_url}/chat/completions`` (urllib: kb may not import httpx)."""
    url = f"{base_url.rstrip('/')}/chat/completions"

    def choose(text: str, candidates: list[Scored]) -> str | None:
        if not url.startswith(("http://", "https://")) or not candidates:
            return None
        listing = "\n".join(f"- {c.slug}: {c.title}" for c in candidates)
        body = {
            "model": model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": PROMPT},
                {"role": "user", "content": f"Failure:\n{redact(text)[:MAX_INPUT]}\n\nCandidates:\n{listing}"},
            ],
        }
        headers = {"Content-Type": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as resp:  # noqa: S310
                reply = json.loads(resp.read())["choices"][0]["message"]["content"]
        except (OSError, KeyError, IndexError, ValueError, TypeError):
            log.warning("no LLM pick for a KB candidate: the model call failed", exc_info=True)
            return None
        return parse_pick(str(reply), [c.slug for c in candidates])

    return choose


def make_chooser(settings: Settings) -> Callable[..., str | None] | None:
    """The LLM chooser when an OpenAI-compatible model is configured, else None (the offline default)."""
    if not settings.llm.base_url:
        return None
    key = settings.llm.api_key.get_secret_value() if settings.llm.api_key else None
    return openai_chooser(settings.llm.base_url, key, settings.llm.model, settings.llm.timeout_s)
