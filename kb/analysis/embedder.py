"""Embedders for the similarity fallback.

``HashingEmbedder`` (default, offline): character 3-5-grams inside space-padded words of the
normalised text, hashed with ``crc32 % dim``, weight ``1 + ln(count)``, no IDF (a vector
never depends on the rest of the KB), L2-normalised. numpy only, ~0.1 ms per text.

Two sizes: ``DIM`` (384) for the stored vectors and their similarity index, which only find candidates
(a small vector keeps p95 under 5 ms at 100,000 vectors, kb/THRESHOLD.md); ``FINE_DIM`` (2000)
for the fallback's ``char`` signal, computed on the candidates only (fewer hash collisions, so
the scores the bars were calibrated on do not depend on the index size).
``OpenAIEmbedder``: an OpenAI-compatible ``/v1/embeddings`` endpoint (settings.llm), with its
own threshold (thresholds do not carry over between models); vectors are folded to DIM so
they fit the same pgvector column and similarity index.

>>> e = HashingEmbedder()
>>> v = e.embed(["Connection timed out", "connection timed out"])
>>> v.shape, round(float(v[0] @ v[1]), 6)
((2, 384), 1.0)
"""

from __future__ import annotations

import json
import math
import urllib.request
import zlib
from collections import Counter
from typing import Protocol

import numpy as np
import numpy.typing as npt

from core.errors import ServiceUnavailable
from core.settings import Settings
from kb.analysis.normalise import normalise

DIM = 384
FINE_DIM = 2000
DEFAULT_OPENAI_MODEL = "text-embedding-3-small"
Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    name: str
    threshold: float

    def embed(self, texts: list[str]) -> Vectors: ...


def _grams(text: str, dim: int) -> Counter[int]:
    counts: Counter[int] = Counter()
    for word in text.split():
        padded = f" {word} "
        size = len(padded)
        for n in (3, 4, 5):
            for i in range(size - n + 1):
                counts[zlib.crc32(padded[i : i + n].encode("utf-8", "surrogatepass")) % dim] += 1
    return counts


class HashingEmbedder:
    name = "hashing"

    def __init__(self, threshold: float = 0.93, dim: int = DIM) -> None:
        self.threshold = threshold
        self.dim = dim

    def embed_one(self, text: str) -> npt.NDArray[np.float32]:
        vec = np.zeros(self.dim, dtype=np.float32)
        for index, count in _grams(normalise(text), self.dim).items():
            vec[index] = 1.0 + math.log(count)
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def embed(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.embed_one(t) for t in texts])


FINE = HashingEmbedder(dim=FINE_DIM)


class OpenAIEmbedder:
    """``POST {base_url}/embeddings`` with ``{"model", "input"}``; the texts are normalised first."""

    name = "openai"

    def __init__(
        self, base_url: str, api_key: str | None, model: str, threshold: float, timeout_s: float = 30.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.model = model
        self.threshold = threshold
        self.timeout_s = timeout_s

    def embed(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        # urllib, not httpx: layers above kb may not import httpx (import-linter contract).
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        body = json.dumps({"model": self.model, "input": [normalise(t) for t in texts]}).encode()
        url = f"{self.base_url}/embeddings"
        if not url.startswith(("http://", "https://")):
            raise ServiceUnavailable(f"the embeddings URL must be http(s): {url}")
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as resp:  # noqa: S310
                data = sorted(json.loads(resp.read())["data"], key=lambda d: d["index"])
        except (OSError, KeyError, ValueError, TypeError) as exc:
            raise ServiceUnavailable(f"the embeddings endpoint failed: {exc}") from exc
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, item in enumerate(data[: len(texts)]):
            raw = np.asarray(item["embedding"], dtype=np.float32)
            folded = np.zeros(DIM, dtype=np.float32)
            np.add.at(folded, np.arange(raw.size) % DIM, raw)
            norm = float(np.linalg.norm(folded))
            out[row] = folded / norm if norm else folded
        return out


def make_embedder(settings: Settings) -> Embedder:
    """The embedder settings.kb.embedder names ('hashing' unless 'openai' and an LLM base URL are set)."""
    if settings.kb.embedder == "openai" and settings.llm.base_url:
        key = settings.llm.api_key.get_secret_value() if settings.llm.api_key else None
        return OpenAIEmbedder(
            settings.llm.base_url,
            key,
            # settings.kb.embedding_model once it exists (requested); the common default until then.
            str(getattr(settings.kb, "embedding_model", DEFAULT_OPENAI_MODEL)),
            settings.kb.openai_similarity_threshold,
            settings.llm.timeout_s,
        )
    return HashingEmbedder(settings.kb.similarity_threshold)
