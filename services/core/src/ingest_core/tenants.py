"""Tenants, their API keys and limits: parsed from settings, resolved once per request.

Settings give tenants as JSON (``INGEST_TENANTS``) or a JSON file (``INGEST_TENANTS_FILE``)::

    [{"name": "acme", "keys": ["k1", {"key": "k2", "collections": ["news"]}],
      "collections": null, "requests_per_minute": 600, "documents_per_minute": 100000}]

A key is a string or an object that may narrow its tenant's collections and limits. The keys
of ``INGEST_API_KEYS`` belong to the default tenant (``default``), whose collections keep their
own names; every other tenant's collections are namespaced (``ingest_core.keys.tenant_collection``).
With no key configured anywhere the service is single-tenant and open: every request acts for
the default tenant, without limits.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ingest_core.keys import DEFAULT_TENANT, valid_collection

if TYPE_CHECKING:
    from ingest_core.settings import Settings

TENANT_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"


def _check_collections(value: list[str] | None) -> list[str] | None:
    if value is not None:
        bad = [name for name in value if not valid_collection(name)]
        if bad:
            raise ValueError(f"invalid collection names: {bad}")
    return value


Collections = Annotated[list[str] | None, AfterValidator(_check_collections)]


class KeyConfig(BaseModel):
    """One API key; unset fields take its tenant's values."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(..., min_length=1)
    collections: Collections = None
    requests_per_minute: int | None = Field(None, gt=0)
    documents_per_minute: int | None = Field(None, gt=0)


class TenantConfig(BaseModel):
    """A tenant: its keys, the collections they may use (None: any) and per-key rates."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., pattern=TENANT_NAME_PATTERN)
    keys: list[str | KeyConfig] = Field(default_factory=list)
    collections: Collections = None
    requests_per_minute: int | None = Field(None, gt=0, description="Per key; None: unlimited.")
    documents_per_minute: int | None = Field(None, gt=0, description="Per key; None: unlimited.")

    def key_configs(self) -> list[KeyConfig]:
        return [KeyConfig(key=k) if isinstance(k, str) else k for k in self.keys]


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: a tenant, through one key (None when the service is open)."""

    tenant: str
    key_id: str | None = None  # a digest of the key, for rate counters and logs; never the key
    collections: frozenset[str] | None = None  # None: any collection
    requests_per_minute: int | None = None
    documents_per_minute: int | None = None

    def may_use(self, collection: str) -> bool:
        return self.collections is None or collection in self.collections


OPEN = Principal(DEFAULT_TENANT)


def key_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:24]


class Tenants:
    """The key → principal directory, built once from settings."""

    def __init__(self, configs: list[TenantConfig]) -> None:
        self._keys: list[tuple[bytes, Principal]] = []
        for tenant in configs:
            for item in tenant.key_configs():
                collections = item.collections if item.collections is not None else tenant.collections
                principal = Principal(
                    tenant=tenant.name,
                    key_id=key_id(item.key),
                    collections=frozenset(collections) if collections is not None else None,
                    requests_per_minute=item.requests_per_minute or tenant.requests_per_minute,
                    documents_per_minute=item.documents_per_minute or tenant.documents_per_minute,
                )
                self._keys.append((item.key.encode(), principal))

    @classmethod
    def from_settings(cls, settings: Settings) -> Tenants:
        return cls(settings.tenant_configs())

    @property
    def limited(self) -> bool:
        """Some key has a request or document rate."""
        return any(p.requests_per_minute or p.documents_per_minute for _, p in self._keys)

    @property
    def open(self) -> bool:
        """No key is configured: every request acts for the default tenant."""
        return not self._keys

    def authenticate(self, token: str) -> Principal | None:
        """The principal of ``token``, or None when no tenant holds it.

        Every key is compared in constant time, as bytes (compare_digest refuses non-ASCII
        str, and a header may carry any latin-1 text).
        """
        given = token.encode()
        found: Principal | None = None
        for key, principal in self._keys:
            if hmac.compare_digest(given, key):
                found = principal
        return found


def merge_tenants(configs: list[TenantConfig], default_keys: list[str]) -> list[TenantConfig]:
    """The configured tenants, with ``INGEST_API_KEYS`` added to the default tenant.

    Raises ValueError when a tenant name or a key appears twice.
    """
    names = [t.name for t in configs]
    if len(set(names)) != len(names):
        raise ValueError(f"tenant names must be unique: {sorted(n for n in names if names.count(n) > 1)}")
    merged = list(configs)
    if default_keys:
        extra: list[str | KeyConfig] = list(default_keys)
        for i, tenant in enumerate(merged):
            if tenant.name == DEFAULT_TENANT:
                merged[i] = tenant.model_copy(update={"keys": [*tenant.keys, *extra]})
                break
        else:
            merged.append(TenantConfig(name=DEFAULT_TENANT, keys=extra))
    keys = [k.key for t in merged for k in t.key_configs()]
    if len(set(keys)) != len(keys):
        owners = [t.name for t in merged for k in t.key_configs() if keys.count(k.key) > 1]
        raise ValueError(f"an API key is listed more than once (tenants {sorted(set(owners))})")
    return merged
