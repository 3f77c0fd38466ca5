"""Configuration: one pydantic-settings class, read at entry points and passed down.

Every field can be set with an environment variable ``FAIRRECRUIT_<FIELD>``. Defaults live in
``config/defaults.env`` (documented there) and, for the embedded set-up, need no server at all.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"

# Values that must never be used in production; shipped as development defaults.
INSECURE_DEFAULTS = {
    "secret_key": {"", "dev-secret-key-change-me"},
    "pseudonym_key": {"", "dev-pseudonym-key-change-me"},
}


ENVIRONMENTS = ("development", "test", "production")
Environment = Literal["development", "test", "production"]

# Production secrets: long, random-looking and distinct (see secret_problems).
SECRET_MIN_LENGTH = 32
SECRET_MIN_DISTINCT = 10
# zxcvbn's estimate for random text is about one decimal digit of guesses per character; words,
# repeats and sequences score far lower.
SECRET_MIN_GUESS_DIGITS_PER_CHAR = 0.8
SECRET_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"  # noqa: S105 - a command


class ConfigurationError(RuntimeError):
    """Raised when the configuration cannot be used (e.g. default secrets in production)."""


def secret_problems(value: str, defaults: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Why `value` is not a usable production secret (empty when it is): a default, too short, too
    few different characters, or words and patterns rather than random text."""
    if value in defaults or not value:
        return ["missing or a default value"]
    problems = []
    if len(value) < SECRET_MIN_LENGTH:
        problems.append(f"shorter than {SECRET_MIN_LENGTH} characters")
    if len(set(value)) < SECRET_MIN_DISTINCT:
        problems.append(f"fewer than {SECRET_MIN_DISTINCT} different characters")
    if not problems:
        from zxcvbn import zxcvbn

        sample = value[:100]  # zxcvbn's own advice: its cost grows quickly with the length
        if zxcvbn(sample)["guesses_log10"] < SECRET_MIN_GUESS_DIGITS_PER_CHAR * len(sample):
            problems.append("made of words, repeats or sequences rather than random characters")
    return problems


def public_url_problem(url: str) -> str | None:
    """Why `url` cannot be the registry's public address (None when it can): it must be an absolute
    https:// URL of a public host, not the development default on this machine."""
    url = url.strip()
    if not url:
        return "is missing"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on an impossible port
    except ValueError:
        return f"is not a valid URL ({url!r})"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"must be an absolute https:// URL (got {url!r})"
    host = parts.hostname.rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if (
        host == "localhost"
        or host.endswith((".localhost", ".local", ".internal"))
        or (address is not None and not address.is_global)
    ):
        return f"must be a public address, not this machine or a private network (got {url!r})"
    if parts.scheme != "https":
        return f"must be an absolute https:// URL (got {url!r})"
    return None


def default_web_workers() -> int:
    """Two gunicorn workers per core of this machine, between 2 and 8."""
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FAIRRECRUIT_",
        env_file=(str(CONFIG_DIR / "defaults.env"), ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
    )

    env: Environment = Field("development", description="development | test | production")
    var_dir: Path = Field(Path("var"), description="where embedded databases and files live")
    database_url: str = Field("", description="SQLAlchemy URL; empty = SQLite under var_dir")
    broker_url: str = Field("", description="Celery broker; empty = kombu SQLAlchemy transport on SQLite")
    result_backend: str = Field("", description="Celery result backend; empty = none")
    redis_url: str = Field("", description="Redis URL used for rate-limit storage in production")
    secret_key: str = "dev-secret-key-change-me"  # noqa: S105 - development default, refused in production
    pseudonym_key: str = "dev-pseudonym-key-change-me"

    # Where the registry is reached from outside: the verify links printed on certificates and sent by
    # the API. Production refuses to start unless it is a public https:// URL.
    public_base_url: str = "http://127.0.0.1:8000"
    # Searched (with its subfolders) for the Noto fonts that print certificates in every script
    # (Debian: fonts-noto-core, fonts-noto-cjk); without them the PDF transliterates to Latin letters.
    certificate_font_dir: Path = Path("/usr/share/fonts")
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    # Synchronous gunicorn workers: two per core (a worker waiting on the database leaves its core to
    # another), at least 2 and, by default, at most 8 (each holds its own database connections).
    web_workers: int = Field(default_factory=default_web_workers, ge=1, le=128)
    # Reverse proxies in front of the web server whose X-Forwarded-For/-Proto/-Host headers are trusted
    # (docker-compose: 1, its nginx). 0: the client's address is the connection's.
    proxy_count: int = Field(0, ge=0, le=5)

    telegram_bot_token: str = ""
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_bot_username: str = "FairRecruitBot"
    telegram_webhook_url: str = ""
    telegram_webhook_secret: str = ""
    # Processes that run the bot's verify lookups beside its event loop (bot/lookups.py); 0: in its threads.
    bot_lookup_processes: int = Field(1, ge=0, le=8)

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
    max_bulk_verify: int = 10_000

    # Admin sign-in and sessions
    # Failed and successful sign-ins are counted per e-mail address (by its hash, known or not) and per
    # client address; past a limit the answer is 429 with Retry-After until the window ends. A browser
    # that has signed in to an account before counts on its own, so a stranger cannot keep its owner out.
    login_limit_per_account: str = "10/15 minutes"
    login_limit_per_client: str = "30/minute"
    login_failure_delay_seconds: float = Field(0.25, ge=0, le=5)
    # A session ends after this long without a request (and at once on sign-out, deactivation, password
    # or role change).
    session_idle_minutes: float = Field(30, gt=0, le=7 * 24 * 60)
    # Admins must use a second factor (TOTP) before anything else; empty = yes in production only.
    require_2fa_for_admins: bool | None = None

    # Delivery
    webhook_timeout_seconds: float = 10.0
    # Seconds to wait for a receiver (or the Bot API) to accept the connection.
    webhook_connect_timeout_seconds: float = Field(3.0, gt=0, le=60)
    # Let webhooks reach loopback, private and link-local addresses (development and tests only).
    webhook_allow_private: bool = False
    # Deliveries run side by side in this many lanes: one per webhook endpoint, one for the Bot API.
    delivery_lanes: int = Field(8, ge=1, le=64)
    # After this many failed attempts in a row an endpoint's circuit opens: no attempt for a while
    # (doubling from webhook_circuit_open_seconds up to webhook_max_backoff_seconds), then one probe.
    webhook_circuit_failures: int = Field(5, ge=1, le=1000)
    webhook_circuit_open_seconds: float = Field(60.0, gt=0)
    # An endpoint failing without a success for this many days is disabled (with an alert).
    webhook_disable_after_days: float = Field(7.0, gt=0)
    webhook_max_backoff_seconds: int = 24 * 3600
    outbox_sweep_seconds: int = 60
    # How often the heads of the audit-log chains that moved are pinned in the anchor chain.
    audit_anchor_seconds: int = 300
    outbox_backoff_base_seconds: float = 30.0  # first retry delay; doubles each attempt (with jitter)
    celery_poll_interval_seconds: float = 1.0  # SQLite broker polling interval

    fx_rates_path: Path = CONFIG_DIR / "fx_rates.csv"

    @field_validator("env", mode="before")
    @classmethod
    def _known_env(cls, value: Any) -> Any:
        if isinstance(value, str):
            normalised = value.strip().lower()
            if normalised not in ENVIRONMENTS:
                raise ValueError(f"FAIRRECRUIT_ENV must be one of {', '.join(ENVIRONMENTS)} (got {value!r})")
            return normalised
        return value

    @field_validator("require_2fa_for_admins", mode="before")
    @classmethod
    def _empty_is_default(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("login_limit_per_account", "login_limit_per_client")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError(f"not a rate limit: {value!r} (e.g. '10/15 minutes', '30/minute')") from None
        return value

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def two_factor_required_for_admins(self) -> bool:
        if self.require_2fa_for_admins is None:
            return self.is_production
        return self.require_2fa_for_admins

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
            problems = [
                f"FAIRRECRUIT_{name.upper()} is " + ", ".join(found)
                for name, defaults in INSECURE_DEFAULTS.items()
                if (found := secret_problems(getattr(self, name), defaults))
            ]
            if not problems and self.secret_key == self.pseudonym_key:
                problems.append(
                    "FAIRRECRUIT_SECRET_KEY and FAIRRECRUIT_PSEUDONYM_KEY are the same (they must differ)"
                )
            advice = []
            if problems:
                advice.append(
                    f"Set each to its own random value of at least {SECRET_MIN_LENGTH} characters, "
                    f"e.g. from: {SECRET_HINT}"
                )
            if url_problem := public_url_problem(self.public_base_url):
                problems.append(f"FAIRRECRUIT_PUBLIC_BASE_URL {url_problem}")
                advice.append(
                    "Set FAIRRECRUIT_PUBLIC_BASE_URL to the https:// address where the public reaches the "
                    "registry (certificates and the API print verify links to it)"
                )
            if problems:
                raise ConfigurationError(
                    "refusing to start in production: " + "; ".join(problems) + ". " + ". ".join(advice)
                )
        return self

    def ensure_dirs(self) -> None:
        if not self.database_url or not self.broker_url:
            self.var_dir.mkdir(parents=True, exist_ok=True)


def load_settings(**overrides: Any) -> Settings:
    """Read the settings (environment, config/defaults.env, .env) and validate them; anything unusable
    is a ConfigurationError naming the variable and what it accepts."""
    try:
        settings = Settings(**overrides)
    except ValidationError as e:
        lines = []
        for err in e.errors():
            name = "FAIRRECRUIT_" + "_".join(str(p) for p in err["loc"][:1]).upper()
            message = err["msg"].removeprefix("Value error, ")
            lines.append(message if message.startswith(name) else f"{name}: {message}")
        raise ConfigurationError("invalid configuration: " + "; ".join(lines)) from None
    return settings.check()
