"""Shared fixtures: real PostgreSQL (a fresh database per test) and real Redis.

``PATCHPILOT_*`` variables are cleared so a developer's shell cannot leak into
tests; PATCHPILOT_DB__URL / PATCHPILOT_REDIS__URL are read first and, when set,
used instead of the embedded servers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

_EXTERNAL_DB = os.environ.get("PATCHPILOT_DB__URL")
_EXTERNAL_REDIS = os.environ.get("PATCHPILOT_REDIS__URL")
LIVE_AWX = {k: v for k, v in os.environ.items() if k.startswith("PATCHPILOT_AWX__")}  # tests/live (awx_live)
for _k in [k for k in os.environ if k.startswith("PATCHPILOT_")]:
    del os.environ[_k]

from core.embedded import start_redis  # noqa: E402
from core.settings import Settings  # noqa: E402
from tests import services  # noqa: E402

ARTIFACTS = services.ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """The embedded test server, shared by the xdist workers and kept between runs; ``make test`` stops it after
    pytest exits (``python -m tests.services stop``), so no test process can stop it under another's feet."""
    if _EXTERNAL_DB:
        yield _EXTERNAL_DB
        return
    with services.embedded_postgres(services.TEST_HOME / "pg") as url:
        yield url


@pytest.fixture(scope="session")
def pg_template(pg_server_url: str) -> str:
    return services.ensure_template(pg_server_url)


@pytest.fixture
def db_url(pg_server_url: str, pg_template: str) -> Iterator[str]:
    """A freshly migrated database of its own for this test."""
    url = services.create_test_db(pg_server_url, pg_template)
    yield url
    services.drop_test_db(pg_server_url, url)


@pytest.fixture(scope="session")
def redis_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if _EXTERNAL_REDIS:
        yield _EXTERNAL_REDIS
        return
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server.url
    server.stop()


@pytest.fixture
def redis_url(redis_server_url: str) -> str:
    """The Redis server, emptied for this test."""
    import redis

    client = redis.Redis.from_url(redis_server_url)
    client.flushdb()
    client.close()
    return redis_server_url


@pytest.fixture
def settings(db_url: str, redis_url: str, tmp_path: Path) -> Settings:
    return Settings.model_validate(
        {"env": "test", "home": tmp_path, "db": {"url": db_url}, "redis": {"url": redis_url}}
    )


@pytest.fixture
def artifacts_dir(request: pytest.FixtureRequest) -> Path:
    """Where a test keeps screenshots and reports (kept after the run)."""
    path = ARTIFACTS / request.node.name.replace("/", "_")
    path.mkdir(parents=True, exist_ok=True)
    return path
