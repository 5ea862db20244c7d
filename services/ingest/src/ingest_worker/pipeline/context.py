"""Builds the services stages share: in memory offline, in Redis online."""

from __future__ import annotations

import redis

from ingest_core.keys import RedisKeys
from ingest_core.settings import Settings
from ingest_worker.pipeline.base import StageContext
from ingest_worker.pipeline.dedup import MemoryDedupIndex, RedisDedupIndex
from ingest_worker.pipeline.profiles import MemorySourceProfiles, RedisSourceProfiles


def memory_context(settings: Settings | None = None) -> StageContext:
    settings = settings or Settings()
    return StageContext(
        dedup_index=MemoryDedupIndex(
            threshold=settings.dedup_threshold,
            report_threshold=settings.dedup_report_threshold,
            window_days=settings.dedup_window_days,
        ),
        source_profiles=MemorySourceProfiles(),
        dedup_enabled=settings.dedup_enabled,
        stage_time_limit=settings.stage_time_limit,
        max_text_chars=settings.max_text_chars,
    )


def redis_context(
    client: redis.Redis[bytes], settings: Settings, keys: RedisKeys | None = None
) -> StageContext:
    return StageContext(
        dedup_index=RedisDedupIndex(
            client,
            keys,
            threshold=settings.dedup_threshold,
            report_threshold=settings.dedup_report_threshold,
            window_days=settings.dedup_window_days,
            shards=settings.dedup_lsh_shards,
        ),
        source_profiles=RedisSourceProfiles(client, keys),
        dedup_enabled=settings.dedup_enabled,
        stage_time_limit=settings.stage_time_limit,
        max_text_chars=settings.max_text_chars,
    )
