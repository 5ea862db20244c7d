"""Settings: embedded defaults work locally; every knob is overridable from the environment."""

from __future__ import annotations

import pytest

from ingest_core.settings import Settings


def test_defaults_point_at_loopback_services() -> None:
    settings = Settings()
    assert settings.redis_url.startswith("redis://127.0.0.1")
    assert settings.s3_endpoint_url and "127.0.0.1" in settings.s3_endpoint_url
    assert settings.celery_broker_url == settings.redis_url


def test_environment_overrides_use_the_ingest_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INGEST_REDIS_URL", "redis://10.1.2.3:6380/2")
    monkeypatch.setenv("INGEST_MAX_UPLOAD_BYTES", "1024")
    monkeypatch.setenv("INGEST_API_KEYS", '["k1", "k2"]')
    settings = Settings()
    assert settings.redis_url == "redis://10.1.2.3:6380/2"
    assert settings.max_upload_bytes == 1024
    assert settings.api_keys == ["k1", "k2"]


def test_a_separate_broker_url_wins_over_redis_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INGEST_BROKER_URL", "redis://127.0.0.1:7000/1")
    assert Settings().celery_broker_url == "redis://127.0.0.1:7000/1"


def test_every_setting_is_documented() -> None:
    undocumented = [name for name, field in Settings.model_fields.items() if not field.description]
    assert undocumented == []
