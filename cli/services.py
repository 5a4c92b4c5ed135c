"""Start what the settings leave unset: embedded PostgreSQL (+ migrations) and Redis.

Used by ``patchpilot up`` and by the single-process commands run on their own
(``patchpilot api`` without PATCHPILOT_DB__URL, ``patchpilot analyze`` ...).
"""

from __future__ import annotations

from core.embedded import STARTED_HERE, RedisServer, start_postgres, start_redis, stop_postgres
from core.migrate import migrate
from core.settings import Settings


def ensure_db(settings: Settings, *, run_migrations: bool = True) -> Settings:
    """Return settings whose db.url is set, starting the embedded server under PATCHPILOT_HOME if needed."""
    url = settings.db.url or start_postgres(settings.home / "pg")
    if run_migrations:
        migrate(url)
    return settings.model_copy(update={"db": settings.db.model_copy(update={"url": url})})


def ensure_redis(settings: Settings) -> tuple[Settings, RedisServer | None]:
    if settings.redis.url:
        return settings, None
    server = start_redis(settings.home / "redis")
    return settings.model_copy(update={"redis": settings.redis.model_copy(update={"url": server.url})}), server


def child_env(settings: Settings) -> dict[str, str]:
    """PATCHPILOT_* variables that make a child process see the same services."""
    env = {"PATCHPILOT_HOME": str(settings.home.resolve()), "PATCHPILOT_ENV": settings.env.value}
    if settings.db.url:
        env["PATCHPILOT_DB__URL"] = settings.db.url
    if settings.redis.url:
        env["PATCHPILOT_REDIS__URL"] = settings.redis.url
    env["PATCHPILOT_API__HOST"] = settings.api.host
    env["PATCHPILOT_API__PORT"] = str(settings.api.port)
    env["PATCHPILOT_AWX__URL"] = settings.awx.url
    env["PATCHPILOT_AWX__TOKEN"] = settings.awx.token.get_secret_value()
    if settings.inventory.source is not None:
        env["PATCHPILOT_INVENTORY__SOURCE"] = settings.inventory.source.value
    if settings.inventory.path is not None:
        env["PATCHPILOT_INVENTORY__PATH"] = str(settings.inventory.path.resolve())
    return env


def stop_started() -> list[str]:
    """Stop the embedded PostgreSQL servers this process started; return what was stopped.

    Called when every CLI command ends (cli.main), so ``patchpilot eval``, ``bench``, ``analyze``, ``migrate``
    leave no server behind. A server that was already running (a ``patchpilot up`` stack) is left alone.
    """
    stopped = []
    while STARTED_HERE:
        data_dir = STARTED_HERE.pop()
        stop_postgres(data_dir)
        stopped.append(str(data_dir))
    return stopped
