from __future__ import annotations

import pytest
from click.testing import CliRunner

from registry.cli import main
from registry.settings import ConfigurationError, Settings, load_settings


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
        ({"FAIRRECRUIT_SECRET_KEY": "a-long-random-production-secret"}, ["FAIRRECRUIT_PSEUDONYM_KEY"]),
        ({"FAIRRECRUIT_PSEUDONYM_KEY": "a-long-random-production-pseudonym"}, ["FAIRRECRUIT_SECRET_KEY"]),
        (
            {
                "FAIRRECRUIT_SECRET_KEY": "dev-secret-key-change-me",
                "FAIRRECRUIT_PSEUDONYM_KEY": "a-long-random-production-pseudonym",
            },
            ["FAIRRECRUIT_SECRET_KEY"],
        ),
    ],
)
def test_production_refuses_default_secrets(monkeypatch, env, named):
    monkeypatch.delenv("FAIRRECRUIT_SECRET_KEY", raising=False)
    monkeypatch.delenv("FAIRRECRUIT_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("FAIRRECRUIT_ENV", "production")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigurationError) as err:
        load_settings()
    for name in named:
        assert name in str(err.value)
    for name in {"FAIRRECRUIT_SECRET_KEY", "FAIRRECRUIT_PSEUDONYM_KEY"} - set(named):
        assert name not in str(err.value)
    result = CliRunner().invoke(main, ["db", "upgrade"], env={"FAIRRECRUIT_ENV": "production", **env})
    assert result.exit_code != 0
    assert named[0] in result.output


def test_production_starts_with_real_secrets(monkeypatch):
    monkeypatch.setenv("FAIRRECRUIT_ENV", "production")
    monkeypatch.setenv("FAIRRECRUIT_SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("FAIRRECRUIT_PSEUDONYM_KEY", "a-long-random-production-pseudonym")
    assert load_settings().is_production
