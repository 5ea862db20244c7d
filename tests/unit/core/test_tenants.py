"""Tenants from settings: JSON or a file, INGEST_API_KEYS in the default tenant, one-to-one
internal collection names, and the service open when no key is configured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from ingest_core.keys import (
    DEFAULT_TENANT,
    RedisKeys,
    collection_owner,
    record_collection_from_key,
    record_key,
    tenant_collection,
    valid_collection,
)
from ingest_core.settings import Settings
from ingest_core.tenants import OPEN, Tenants

ACME = {
    "name": "acme",
    "keys": ["k1", {"key": "k2", "collections": ["news"], "requests_per_minute": 5}],
    "requests_per_minute": 600,
    "documents_per_minute": 100_000,
}


def test_tenants_are_read_from_a_json_value_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INGEST_TENANTS", json.dumps([ACME]))
    tenants = Tenants.from_settings(Settings())
    k1 = tenants.authenticate("k1")
    assert k1 is not None
    assert (k1.tenant, k1.collections, k1.requests_per_minute, k1.documents_per_minute) == (
        "acme",
        None,
        600,
        100_000,
    )
    assert not tenants.open
    assert tenants.limited


def test_a_key_may_narrow_its_tenants_collections_and_rates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INGEST_TENANTS", json.dumps([ACME]))
    k2 = Tenants.from_settings(Settings()).authenticate("k2")
    assert k2 is not None
    assert k2.collections == frozenset({"news"})
    assert k2.may_use("news")
    assert not k2.may_use("sports")
    assert k2.requests_per_minute == 5
    assert k2.documents_per_minute == 100_000  # inherited


def test_tenants_are_read_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "tenants.json"
    path.write_text(json.dumps([{"name": "beta", "keys": ["kb"]}]))
    monkeypatch.setenv("INGEST_TENANTS", json.dumps([ACME]))
    monkeypatch.setenv("INGEST_TENANTS_FILE", str(path))
    settings = Settings()
    assert [t.name for t in settings.tenant_configs()] == ["acme", "beta"]
    principal = Tenants.from_settings(settings).authenticate("kb")
    assert principal is not None
    assert principal.tenant == "beta"


def test_an_unreadable_tenants_file_stops_the_service_with_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot read"):
        Settings(tenants_file=tmp_path / "missing.json")


def test_api_keys_belong_to_the_default_tenant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INGEST_API_KEYS", '["old"]')
    monkeypatch.setenv("INGEST_TENANTS", json.dumps([ACME]))
    tenants = Tenants.from_settings(Settings())
    old = tenants.authenticate("old")
    assert old is not None
    assert old.tenant == DEFAULT_TENANT
    assert old.collections is None
    assert old.requests_per_minute is None


def test_api_keys_join_a_default_tenant_configured_with_limits() -> None:
    settings = Settings(
        api_keys=["old"], tenants=[{"name": "default", "keys": ["new"], "requests_per_minute": 7}]
    )
    tenants = Tenants.from_settings(settings)
    for key in ("old", "new"):
        principal = tenants.authenticate(key)
        assert principal is not None
        assert (principal.tenant, principal.requests_per_minute) == ("default", 7)


def test_without_any_key_the_service_is_open_and_single_tenant() -> None:
    tenants = Tenants.from_settings(Settings(tenants=[{"name": "acme"}]))
    assert tenants.open
    assert OPEN.tenant == DEFAULT_TENANT
    assert OPEN.may_use("anything")


def test_an_unknown_key_has_no_principal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INGEST_TENANTS", json.dumps([ACME]))
    tenants = Tenants.from_settings(Settings())
    assert tenants.authenticate("k3") is None
    assert tenants.authenticate("cl\xe9") is None


@pytest.mark.parametrize(
    "tenants",
    [
        [{"name": "a", "keys": ["same"]}, {"name": "b", "keys": ["same"]}],  # a key in two tenants
        [{"name": "a", "keys": ["x"]}, {"name": "a", "keys": ["y"]}],  # a tenant twice
        [{"name": "Acme~x", "keys": ["x"]}],  # not a tenant name
        [{"name": "a", "keys": ["x"], "collections": ["../etc"]}],  # not a collection
        [{"name": "a", "keys": [""]}],  # an empty key
        [{"name": "a", "keys": ["x"], "requests_per_minute": 0}],  # a rate of nothing
        [{"name": "a", "keys": ["x"], "typo_per_minute": 5}],  # an unknown field
    ],
)
def test_inconsistent_tenants_are_refused_at_start(tenants: list[dict[str, object]]) -> None:
    with pytest.raises(ValidationError):
        Settings(tenants=tenants)


def test_a_key_of_api_keys_listed_again_in_a_tenant_is_refused() -> None:
    with pytest.raises(ValidationError, match="more than once"):
        Settings(api_keys=["k1"], tenants=[ACME])


def test_internal_collection_names_are_one_to_one_and_leave_the_default_tenant_alone() -> None:
    assert tenant_collection(DEFAULT_TENANT, "news") == "news"
    assert tenant_collection("acme", "news") != tenant_collection("beta", "news")
    for tenant in (DEFAULT_TENANT, "acme", "a-b_c"):
        for collection in ("news", "a-b.c_d", "x" * 63):
            assert collection_owner(tenant_collection(tenant, collection)) == (tenant, collection)
    # No collection a default-tenant caller can name is another tenant's internal name.
    assert not valid_collection(tenant_collection("acme", "news"))


def test_a_records_key_names_its_internal_collection() -> None:
    key = record_key(tenant_collection("acme", "news"), "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert collection_owner(record_collection_from_key(key)) == ("acme", "news")


def test_idempotency_keys_are_scoped_by_tenant_and_the_default_tenants_keep_their_names() -> None:
    keys = RedisKeys()
    assert keys.idempotency("k") == "ingest:idem:k"
    assert keys.idempotency("k", "acme") != keys.idempotency("k", "beta")
    assert keys.idempotency("k", "acme") != keys.idempotency("k")
    # A default-tenant key crafted to look like another tenant's is still its own.
    assert keys.idempotency("tenant:acme:idem:k") != keys.idempotency("k", "acme")
