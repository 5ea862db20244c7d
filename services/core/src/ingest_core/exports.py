"""Export jobs in Redis: what was asked, where it stands, and the object keys it wrote.

An export moves ``queued → running → succeeded | failed``. The task that writes it may run
twice (at-least-once delivery); its keys are fixed by the export's id (or, for the daily
compaction, by collection and day), so a second run rewrites the same objects.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Literal

import redis

from ingest_core.ids import new_id
from ingest_core.keys import RedisKeys
from ingest_core.schema import ExportFormat, ExportStatus, ExportView

_FINAL = (ExportStatus.succeeded.value, ExportStatus.failed.value)


def _now() -> str:
    return datetime.now(UTC).isoformat()


class ExportStore:
    def __init__(self, client: redis.Redis[bytes], keys: RedisKeys | None = None) -> None:
        self.redis = client
        self.keys = keys or RedisKeys()

    def create(
        self,
        collection: str,
        format: ExportFormat,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        day: date | None = None,
        export_id: str | None = None,
    ) -> ExportView:
        export_id = export_id or new_id()
        now = _now()
        kind: Literal["request", "daily"] = "daily" if day else "request"
        fields: dict[str | bytes, str | int] = {
            "id": export_id,
            "status": ExportStatus.queued.value,
            "kind": kind,
            "collection": collection,
            "format": format,
            "since": since.isoformat() if since else "",
            "until": until.isoformat() if until else "",
            "day": day.isoformat() if day else "",
            "created_at": now,
            "updated_at": now,
            "rows": 0,
            "keys": "[]",
        }
        self.redis.hset(self.keys.export(export_id), mapping=fields)
        view = self.get(export_id)
        assert view is not None
        return view

    def get(self, export_id: str) -> ExportView | None:
        raw = self.redis.hgetall(self.keys.export(export_id))
        if not raw:
            return None
        row = {k.decode(): v.decode() for k, v in raw.items()}
        return ExportView(
            id=row["id"],
            status=ExportStatus(row["status"]),
            kind="daily" if row.get("kind") == "daily" else "request",
            collection=row["collection"],
            format="jsonl.gz" if row.get("format") == "jsonl.gz" else "parquet",
            since=datetime.fromisoformat(row["since"]) if row.get("since") else None,
            until=datetime.fromisoformat(row["until"]) if row.get("until") else None,
            day=date.fromisoformat(row["day"]) if row.get("day") else None,
            created_at=datetime.fromisoformat(row["created_at"]),
            updated_at=datetime.fromisoformat(row["updated_at"]),
            rows=int(row.get("rows", 0)),
            keys=json.loads(row.get("keys") or "[]"),
            error=row.get("error") or None,
        )

    def start(self, export_id: str) -> bool:
        """Marks the export running; False when it is unknown (expired) or succeeded already."""
        key = self.keys.export(export_id)
        status = self.redis.hget(key, "status")
        if status is None or status.decode() == ExportStatus.succeeded.value:
            return False
        self.redis.hset(key, mapping={"status": ExportStatus.running.value, "updated_at": _now()})
        return True

    def succeed(self, export_id: str, keys: list[str], rows: int, retention_seconds: int) -> None:
        self._finish(
            export_id,
            {"status": ExportStatus.succeeded.value, "keys": json.dumps(keys), "rows": rows, "error": ""},
            retention_seconds,
        )

    def fail(self, export_id: str, error: str, retention_seconds: int) -> None:
        self._finish(
            export_id, {"status": ExportStatus.failed.value, "error": error[:2000]}, retention_seconds
        )

    def _finish(self, export_id: str, fields: dict[str | bytes, str | int], retention_seconds: int) -> None:
        key = self.keys.export(export_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(key, mapping={**fields, "updated_at": _now()})
        pipe.expire(key, retention_seconds)
        pipe.execute()
