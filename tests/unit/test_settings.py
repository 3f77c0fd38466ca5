from __future__ import annotations

import pytest
from click.testing import CliRunner

from registry.cli import main
from registry.settings import ConfigurationError, Settings, load_settings, secret_problems

# Random-looking values (as `secrets.token_urlsafe(24)` makes them), two different ones.
GOOD_SECRET = "kT3vQ9xLm2Rb7YcNf5WjHs8Ud4PaZe6G"
GOOD_PSEUDONYM = "Hq7Zr2Mx9Ld4Vb6Nc8Kf3Wt5Yj1Ps0Ga"
PUBLIC_URL = "https://fairrecruit.example.org"


def test_embedded_defaults(monkeypatch, tmp_path):
    for k in ("FAIRRECRUIT_DATABASE_URL", "FAIRRECRUIT_BROKER_URL", "FAIRRECRUIT_ENV"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.chdir(tmp_path)
    s = Settings()
    assert s.sqlalchemy_url == f"sqlite:///{tmp_path / 'var' / 'fairrecruit.db'}"
    assert s.celery_broker_url == f"sqla+sqlite:///{tmp_path / 'var' / 'broker.db'}"
    assert s.accreditation_cycle_years == 3 and s.retention_days == 730


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("FAIRRECRUIT_DATABASE_URL", "postgresql+psycopg://x@db/fr")
    monkeypatch.setenv("FAIRRECRUIT_EXPIRY_REMINDER_DAYS", "[60,14]")
    s = Settings()
    assert s.sqlalchemy_url == "postgresql+psycopg://x@db/fr"
    assert s.expiry_reminder_days == [60, 14]


def test_settings_are_not_read_at_import():
    import importlib

    import registry
    import registry.models

    # importing the package and models must not construct Settings
    importlib.reload(registry)
    assert not any(isinstance(v, Settings) for v in vars(registry).values())


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, ["FAIRRECRUIT_SECRET_KEY", "FAIRRECRUIT_PSEUDONYM_KEY"]),
        ({"FAIRRECRUIT_SECRET_KEY": GOOD_SECRET}, ["FAIRRECRUIT_PSEUDONYM_KEY"]),
        ({"FAIRRECRUIT_PSEUDONYM_KEY": GOOD_PSEUDONYM}, ["FAIRRECRUIT_SECRET_KEY"]),
        (
            {
                "FAIRRECRUIT_SECRET_KEY": "dev-secret-key-change-me",
                "FAIRRECRUIT_PSEUDONYM_KEY": GOOD_PSEUDONYM,
            },
            ["FAIRRECRUIT_SECRET_KEY"],
        ),
        (  # long, but words: not random
            {
                "FAIRRECRUIT_SECRET_KEY": "a-long-random-production-secret-value",
                "FAIRRECRUIT_PSEUDONYM_KEY": GOOD_PSEUDONYM,
            },
            ["FAIRRECRUIT_SECRET_KEY"],
        ),
        (  # random, but short
            {"FAIRRECRUIT_SECRET_KEY": GOOD_SECRET, "FAIRRECRUIT_PSEUDONYM_KEY": GOOD_PSEUDONYM[:20]},
            ["FAIRRECRUIT_PSEUDONYM_KEY"],
        ),
        (  # the same value twice
            {"FAIRRECRUIT_SECRET_KEY": GOOD_SECRET, "FAIRRECRUIT_PSEUDONYM_KEY": GOOD_SECRET},
            ["FAIRRECRUIT_SECRET_KEY", "FAIRRECRUIT_PSEUDONYM_KEY"],
        ),
    ],
)
def test_production_refuses_default_secrets(monkeypatch, env, named):
    monkeypatch.delenv("FAIRRECRUIT_SECRET_KEY", raising=False)
    monkeypatch.delenv("FAIRRECRUIT_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("FAIRRECRUIT_ENV", "production")
    monkeypatch.setenv("FAIRRECRUIT_PUBLIC_BASE_URL", PUBLIC_URL)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigurationError) as err:
        load_settings()
    for name in named:
        assert name in str(err.value)
    for name in {"FAIRRECRUIT_SECRET_KEY", "FAIRRECRUIT_PSEUDONYM_KEY"} - set(named):
        assert name not in str(err.value)
    assert "FAIRRECRUIT_PUBLIC_BASE_URL" not in str(err.value)
    result = CliRunner().invoke(main, ["db", "upgrade"], env={"FAIRRECRUIT_ENV": "production", **env})
    assert result.exit_code != 0
    assert named[0] in result.output


def test_production_starts_with_real_secrets(monkeypatch):
    monkeypatch.setenv("FAIRRECRUIT_ENV", "production")
    monkeypatch.setenv("FAIRRECRUIT_PUBLIC_BASE_URL", PUBLIC_URL)
    monkeypatch.setenv("FAIRRECRUIT_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("FAIRRECRUIT_PSEUDONYM_KEY", GOOD_PSEUDONYM)
    settings = load_settings()
    assert settings.is_production
    assert settings.two_factor_required_for_admins  # the default in production
    monkeypatch.setenv("FAIRRECRUIT_REQUIRE_2FA_FOR_ADMINS", "false")
    assert not load_settings().two_factor_required_for_admins
    monkeypatch.setenv("FAIRRECRUIT_REQUIRE_2FA_FOR_ADMINS", "")  # empty: the default
    assert load_settings().two_factor_required_for_admins


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (None, "must be a public address"),  # the development default of config/defaults.env
        ("", "is missing"),
        ("   ", "is missing"),
        ("fairrecruit.example.org", "must be an absolute https:// URL"),
        ("http://fairrecruit.example.org", "must be an absolute https:// URL"),
        ("https://", "must be an absolute https:// URL"),
        ("https://fairrecruit.example.org:99999", "is not a valid URL"),
        ("https://localhost:8443", "must be a public address"),
        ("https://127.0.0.1:8000", "must be a public address"),
        ("https://10.1.2.3", "must be a public address"),
        ("https://[::1]/", "must be a public address"),
        ("https://registry.internal", "must be a public address"),
    ],
)
def test_production_refuses_to_start_without_a_public_base_url(monkeypatch, url, problem):
    """Certificates and the API print verify links to FAIRRECRUIT_PUBLIC_BASE_URL: production refuses
    to start unless it is a public https:// address, and says which variable and why."""
    monkeypatch.setenv("FAIRRECRUIT_ENV", "production")
    monkeypatch.setenv("FAIRRECRUIT_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("FAIRRECRUIT_PSEUDONYM_KEY", GOOD_PSEUDONYM)
    if url is None:
        monkeypatch.delenv("FAIRRECRUIT_PUBLIC_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("FAIRRECRUIT_PUBLIC_BASE_URL", url)
    with pytest.raises(ConfigurationError) as err:
        load_settings()
    message = str(err.value)
    assert f"FAIRRECRUIT_PUBLIC_BASE_URL {problem}" in message, message
    assert "SECRET_KEY" not in message and "PSEUDONYM_KEY" not in message  # only what is wrong
    result = CliRunner().invoke(
        main,
        ["db", "upgrade"],
        env={
            "FAIRRECRUIT_ENV": "production",
            "FAIRRECRUIT_SECRET_KEY": GOOD_SECRET,
            "FAIRRECRUIT_PSEUDONYM_KEY": GOOD_PSEUDONYM,
            "FAIRRECRUIT_PUBLIC_BASE_URL": url,
        },
    )
    assert result.exit_code != 0 and "FAIRRECRUIT_PUBLIC_BASE_URL" in result.output
    # Outside production the development default is fine.
    monkeypatch.setenv("FAIRRECRUIT_ENV", "development")
    assert load_settings().public_base_url == (url if url is not None else "http://127.0.0.1:8000")


@pytest.mark.parametrize(
    "url", [PUBLIC_URL, "https://registry.example.gov.np/", "https://fairrecruit.example.org:8443/registry"]
)
def test_production_starts_with_a_public_https_base_url(monkeypatch, url):
    monkeypatch.setenv("FAIRRECRUIT_ENV", "production")
    monkeypatch.setenv("FAIRRECRUIT_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("FAIRRECRUIT_PSEUDONYM_KEY", GOOD_PSEUDONYM)
    monkeypatch.setenv("FAIRRECRUIT_PUBLIC_BASE_URL", url)
    assert load_settings().public_base_url == url


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "missing"),
        ("dev-secret-key-change-me", "missing or a default"),
        ("x" * 40, "different characters"),
        ("abcdefghij" * 4, "words, repeats or sequences"),
        ("correct-horse-battery-staple-production-key", "words, repeats or sequences"),
        ("my production secret key for fairrecruit 2024", "words, repeats or sequences"),
        ("kT3vQ9xLm2Rb7YcNf5Wj", "shorter than 32"),
    ],
)
def test_weak_production_secrets(value, problem):
    found = secret_problems(value, {"dev-secret-key-change-me"})
    assert any(problem in p for p in found), found


def test_random_secrets_pass():
    import secrets

    for _ in range(50):
        assert secret_problems(secrets.token_urlsafe(32)) == []
        assert secret_problems(secrets.token_hex(32)) == []
    assert secret_problems(GOOD_SECRET) == []


@pytest.mark.parametrize("value", ["production", "Production", " PRODUCTION ", "test", "Development"])
def test_env_is_normalised(monkeypatch, value):
    monkeypatch.setenv("FAIRRECRUIT_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("FAIRRECRUIT_PSEUDONYM_KEY", GOOD_PSEUDONYM)
    monkeypatch.setenv("FAIRRECRUIT_PUBLIC_BASE_URL", PUBLIC_URL)
    assert load_settings(env=value).env == value.strip().lower()


@pytest.mark.parametrize("value", ["prod", "staging", "dev", "", "production1"])
def test_unknown_env_is_refused_naming_the_allowed_values(monkeypatch, value):
    monkeypatch.setenv("FAIRRECRUIT_ENV", value)
    with pytest.raises(ConfigurationError) as err:
        load_settings()
    assert "FAIRRECRUIT_ENV must be one of development, test, production" in str(err.value)
    assert repr(value) in str(err.value)
    result = CliRunner().invoke(main, ["db", "upgrade"], env={"FAIRRECRUIT_ENV": value})
    assert result.exit_code != 0 and "FAIRRECRUIT_ENV must be one of" in result.output


def test_session_and_sign_in_settings(monkeypatch):
    for k in ("FAIRRECRUIT_ENV", "FAIRRECRUIT_REQUIRE_2FA_FOR_ADMINS", "FAIRRECRUIT_SESSION_IDLE_MINUTES"):
        monkeypatch.delenv(k, raising=False)
    s = Settings()
    assert s.session_idle_minutes == 30 and not s.two_factor_required_for_admins
    assert Settings(require_2fa_for_admins=True).two_factor_required_for_admins
    monkeypatch.setenv("FAIRRECRUIT_SESSION_IDLE_MINUTES", "0")
    with pytest.raises(ConfigurationError, match="FAIRRECRUIT_SESSION_IDLE_MINUTES"):
        load_settings()
    monkeypatch.setenv("FAIRRECRUIT_SESSION_IDLE_MINUTES", "15")
    monkeypatch.setenv("FAIRRECRUIT_LOGIN_LIMIT_PER_ACCOUNT", "often")
    with pytest.raises(ConfigurationError, match="FAIRRECRUIT_LOGIN_LIMIT_PER_ACCOUNT: not a rate limit"):
        load_settings()
