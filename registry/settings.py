"""Configuration: one pydantic-settings class, read at entry points and passed down.

Every field can be set with an environment variable ``FAIRRECRUIT_<FIELD>``. Defaults live in
``config/defaults.env`` (documented there) and, for the embedded set-up, need no server at all.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"

# Values that must never be used in production; shipped as development defaults.
INSECURE_DEFAULTS = {
    "secret_key": {"", "dev-secret-key-change-me"},
    "pseudonym_key": {"", "dev-pseudonym-key-change-me"},
}


class ConfigurationError(RuntimeError):
    """Raised when the configuration cannot be used (e.g. default secrets in production)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FAIRRECRUIT_",
        env_file=(str(CONFIG_DIR / "defaults.env"), ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
    )

    env: str = Field("development", description="development | production | test")
    var_dir: Path = Field(Path("var"), description="where embedded databases and files live")
    database_url: str = Field("", description="SQLAlchemy URL; empty = SQLite under var_dir")
    broker_url: str = Field("", description="Celery broker; empty = kombu SQLAlchemy transport on SQLite")
    result_backend: str = Field("", description="Celery result backend; empty = none")
    redis_url: str = Field("", description="Redis URL used for rate-limit storage in production")
    secret_key: str = "dev-secret-key-change-me"  # noqa: S105 - development default, refused in production
    pseudonym_key: str = "dev-pseudonym-key-change-me"

    public_base_url: str = "http://127.0.0.1:8000"
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    web_workers: int = 2
    # Reverse proxies in front of the web server whose X-Forwarded-For/-Proto/-Host headers are trusted
    # (docker-compose: 1, its nginx). 0: the client's address is the connection's.
    proxy_count: int = Field(0, ge=0, le=5)

    telegram_bot_token: str = ""
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_bot_username: str = "FairRecruitBot"
    telegram_webhook_url: str = ""
    telegram_webhook_secret: str = ""

    # The standard
    accreditation_cycle_years: int = 3
    surveillance_interval_months: int = 12
    major_finding_due_days: int = 90
    minor_finding_due_days: int = 180
    expiry_reminder_days: list[int] = [90, 30, 7]
    fee_signal_window_days: int = 180
    fee_signal_min_reporters: int = 3
    retention_days: int = 730
    reports_per_chat_per_day: int = 10

    # API and web
    api_rate_limit: str = "600/minute"
    ratelimit_storage_uri: str = "memory://"
    # How long a web process may answer a recruiter's status from memory after another process changed
    # it (a key's revocation: 5 s at most); its own changes it sees at once. 0 = never from memory.
    api_cache_seconds: float = Field(30.0, ge=0, le=300)
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    max_bulk_verify: int = 10_000

    # Delivery
    webhook_timeout_seconds: float = 10.0
    webhook_max_backoff_seconds: int = 24 * 3600
    outbox_sweep_seconds: int = 60
    outbox_backoff_base_seconds: float = 30.0  # first retry delay; doubles each attempt (with jitter)
    celery_poll_interval_seconds: float = 1.0  # SQLite broker polling interval

    fx_rates_path: Path = CONFIG_DIR / "fx_rates.csv"

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'fairrecruit.db').resolve()}"

    @property
    def celery_broker_url(self) -> str:
        if self.broker_url:
            return self.broker_url
        return f"sqla+sqlite:///{(self.var_dir / 'broker.db').resolve()}"

    def check(self) -> Settings:
        """Refuse unusable configurations. Called by every entry point."""
        if self.is_production:
            bad = [
                f"FAIRRECRUIT_{name.upper()}"
                for name, defaults in INSECURE_DEFAULTS.items()
                if getattr(self, name) in defaults or len(getattr(self, name)) < 16
            ]
            if bad:
                raise ConfigurationError(
                    "refusing to start in production: "
                    + " and ".join(bad)
                    + (" are" if len(bad) > 1 else " is")
                    + " missing or a default value (set a random value of at least 16 characters)"
                )
        return self

    def ensure_dirs(self) -> None:
        if not self.database_url or not self.broker_url:
            self.var_dir.mkdir(parents=True, exist_ok=True)


def load_settings(**overrides) -> Settings:
    """Read the settings (environment, config/defaults.env, .env) and validate them."""
    return Settings(**overrides).check()
