"""Every knob of the service, in one place.

Both the API and the workers read the same class so that a value set once in the environment
(prefix ``INGEST_``) means the same thing everywhere.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import Field, IPvAnyNetwork, PrivateAttr, SecretStr, TypeAdapter, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest_core.tenants import TenantConfig, merge_tenants


class Settings(BaseSettings):
    """Runtime configuration; every field can be set as ``INGEST_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="INGEST_", env_file=None, extra="ignore")

    # --- connections -----------------------------------------------------------------------
    redis_url: str = Field(
        "redis://127.0.0.1:6379/0",
        description="Redis holding the job store, dedup index, feed and source profiles.",
    )
    broker_url: str | None = Field(None, description="Celery broker; defaults to redis_url when unset.")
    s3_endpoint_url: str | None = Field(
        "http://127.0.0.1:8333",
        description="S3 endpoint; None means AWS's own endpoint for the region.",
    )
    s3_region: str = Field("us-east-1", description="Region name sent to the S3 endpoint.")
    s3_access_key_id: str | None = Field(None, description="S3 key id; None: boto3's default chain.")
    s3_secret_access_key: SecretStr | None = Field(None, description="S3 secret key.")
    s3_bucket: str = Field("ingest", description="Bucket holding raw/, records/, jobs/.")
    s3_fast_requests: bool = Field(
        True,
        description="Object GETs and PUTs as plain signed HTTP requests (a third of boto3's CPU) when "
        "the endpoint and keys are set; false: everything through boto3.",
    )
    s3_create_bucket: bool = Field(
        True, description="Create the bucket at start-up when missing (local and tests)."
    )
    s3_interactive_timeout: float = Field(
        2.0,
        description="Connect and read timeout (s) of the API's storage reads and readiness probe; "
        "they retry once, so a request fails fast with 503 when storage is down. Workers and "
        "uploads keep longer timeouts and more retries.",
    )

    # --- API -------------------------------------------------------------------------------
    api_host: str = Field("127.0.0.1", description="Address the API binds to.")
    api_port: int = Field(8000, description="Port the API binds to.")
    api_keys: list[str] = Field(
        default_factory=list,
        description="Bearer tokens / X-API-Key values of the default tenant. With no key here nor "
        "in `tenants`, auth is off and the service is single-tenant.",
    )
    tenants: list[TenantConfig] = Field(
        default_factory=list,
        description='Tenants as JSON: [{"name", "keys": [key or {"key", "collections", '
        '"requests_per_minute", "documents_per_minute"}], "collections", "requests_per_minute", '
        '"documents_per_minute"}]; a tenant\'s keys may use only its `collections` (null: any) '
        "at these rates per key (null: unlimited). See ingest_core.tenants.",
    )
    tenants_file: Path | None = Field(
        None, description="A JSON file of tenants in the shape of `tenants`, added to them."
    )
    metrics_require_key: bool = Field(
        False, description="/metrics needs an API key (any tenant's) when keys are configured."
    )
    max_queue_depth: int | None = Field(
        None,
        ge=0,
        description="Uploads answer 503 with Retry-After while the broker queue (the Redis list "
        "`ingest`) holds more batches than this; None: no bound.",
    )
    queue_full_retry_after_seconds: int = Field(
        10, ge=1, description="Retry-After (s) of an upload refused because the queue is full."
    )
    max_upload_bytes: int = Field(
        50 * 1024 * 1024, description="Largest request body accepted; larger gets 413."
    )
    max_file_bytes: int = Field(
        20 * 1024 * 1024, description="Largest single document (also each archive member)."
    )
    max_files_per_request: int = Field(1000, description="Most documents one upload may hold.")
    max_archive_members: int = Field(10_000, description="Most members an archive may hold.")
    max_archive_expanded_bytes: int = Field(
        500 * 1024 * 1024, description="Largest total expanded size of one archive."
    )
    max_archive_ratio: float = Field(
        200.0, description="Largest expanded/compressed ratio of an archive (zip bombs)."
    )
    max_nesting_depth: int = Field(
        3,
        ge=1,
        description="Most containers a document may sit inside (a PDF in an e-mail in a zip is 2); "
        "a container deeper than this is rejected.",
    )
    max_container_parse_bytes: int = Field(
        64 * 1024 * 1024,
        description="Largest container read whole to find its documents (a JSON file, a feed).",
    )
    container_time_limit: float = Field(
        60.0, description="Longest time spent finding the documents of one uploaded file (s)."
    )
    job_page_size: int = Field(
        100, ge=1, le=10_000, description="Documents per page of a job's answer (the upload's is the first)."
    )
    long_poll_max_seconds: float = Field(60.0, description="Upper bound of ?wait=N.")
    default_collection: str = Field("default", description="Collection used when none is given.")

    # --- worker ----------------------------------------------------------------------------
    task_max_retries: int = Field(5, description="Retries for Redis/S3 connection errors.")
    task_retry_backoff_max: int = Field(60, description="Cap of exponential retry back-off (s).")
    task_soft_time_limit: float = Field(120.0, description="Soft limit of one document (s).")
    task_time_limit: float = Field(180.0, description="Hard limit of one document (s).")
    stage_time_limit: float = Field(20.0, description="Wall-clock limit of one pipeline stage (s).")
    max_text_chars: int = Field(
        5_000_000, description="Longest decoded text a document may have before it is rejected."
    )
    worker_concurrency: int = Field(2, description="Worker processes per `ingest-worker`.")
    worker_start_timeout: float = Field(
        60.0,
        gt=0,
        description="Seconds a new pool process may take to load its models before Celery gives up on "
        "it (Celery's default, 4 s, kills every new process on a busy machine, over and over).",
    )
    worker_metrics_port: int = Field(
        0, ge=0, le=65535, description="Port of a worker's Prometheus endpoint (all its processes); 0: off."
    )
    worker_metrics_host: str = Field("127.0.0.1", description="Address the worker's metrics bind to.")
    batch_max_documents: int = Field(
        64, ge=1, description="Most documents one task carries (a single upload is a task of one)."
    )
    batch_max_bytes: int = Field(
        8 * 1024 * 1024,
        ge=1,
        description="Most bytes of documents one task carries, as the worker will hold them (a zip "
        "member's decoded size, not its compressed one).",
    )
    batch_lease_seconds: float = Field(
        15.0,
        gt=0,
        description="A batch whose worker has not renewed its lease this long is sent again "
        "(the worker renews it every third of this while it runs).",
    )
    dispatch_grace_seconds: float = Field(
        5.0, gt=0, description="A registered batch not yet sent after this long is sent by the watchdog."
    )
    sent_timeout_seconds: float = Field(
        900.0,
        gt=0,
        description="A sent batch no worker has claimed after this long is sent again "
        "(a message lost by the broker); a second copy is harmless.",
    )
    watchdog_interval_seconds: float = Field(1.0, gt=0, description="How often workers look for orphans.")
    job_retention_seconds: int = Field(
        7 * 86_400,
        ge=60,
        description="How long a finished job's state stays in Redis; its summary stays in the bucket.",
    )
    debug_pause_before_enqueue_seconds: float = Field(
        0.0,
        ge=0,
        description="Fault injection for tests: the API sleeps between registering a job and "
        "sending its tasks, so a test can kill it in that window. Keep 0.",
    )

    # --- exports ---------------------------------------------------------------------------
    export_part_rows: int = Field(
        20_000, ge=1, description="Most records in one export file (part); a worker holds one part in memory."
    )
    export_time_limit: float = Field(3600.0, gt=0, description="Hard time limit of one export task (s).")
    export_compaction_enabled: bool = Field(
        True,
        description="The workers' watchdog writes yesterday's daily Parquet compaction of every "
        "collection once a day (exports/v1/{collection}/dt={day}/).",
    )
    export_compaction_delay_seconds: float = Field(
        1800.0,
        ge=0,
        description="How long after midnight UTC the daily compaction of the day before starts, so "
        "records still being written at midnight are in it.",
    )

    # --- webhooks --------------------------------------------------------------------------
    webhooks_enabled: bool = Field(
        True, description="Workers deliver webhooks (a dispatcher thread in each worker's main process)."
    )
    webhook_allowed_networks: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description='CIDRs webhooks may reach although they are not public (JSON, e.g. ["127.0.0.0/8"] '
        "in tests); without them loopback, private, link-local, multicast and reserved addresses "
        "are refused, at subscription and again at each delivery.",
    )
    webhook_timeout_seconds: float = Field(
        5.0, gt=0, description="Connect and read timeout of one delivery (s)."
    )
    webhook_retry_base_seconds: float = Field(
        5.0, gt=0, description="Wait before the first retry of a failed delivery; doubles each attempt."
    )
    webhook_retry_max_interval_seconds: float = Field(
        3600.0, gt=0, description="Longest wait between two attempts of a delivery (s)."
    )
    webhook_retry_for_seconds: float = Field(
        86_400.0, gt=0, description="A delivery still failing this long after its event is given up."
    )
    webhook_dispatch_interval_seconds: float = Field(
        0.5, gt=0, description="How often a worker's dispatcher looks for new events and due deliveries."
    )
    webhook_concurrency: int = Field(8, ge=1, description="Deliveries one worker sends at a time.")
    webhook_delivery_retention_seconds: int = Field(
        7 * 86_400, ge=60, description="How long a finished delivery stays in its webhook's log."
    )
    webhook_max_per_tenant: int = Field(100, ge=1, description="Most webhooks one tenant may have.")

    # --- dedup -----------------------------------------------------------------------------
    dedup_enabled: bool = Field(True, description="Drop exact and near duplicates.")
    dedup_threshold: float = Field(
        0.6,
        description="Similarity at or above which a document is a near duplicate (when its figures "
        "agree). Similarity is the share of the shorter text's character 10-grams found in the "
        "other (overlap coefficient), so shortened and re-headed copies score high; measured "
        "in bench/dedup.",
    )
    dedup_report_threshold: float = Field(
        0.5, description="Similarity above which a stored record lists a near duplicate."
    )
    dedup_window_days: int | None = Field(
        None, description="Forget index entries after N days; None keeps all."
    )
    dedup_lsh_shards: int = Field(
        1 << 16,
        description="Redis hashes the LSH buckets are spread over; keep about (indexed articles "
        "x 84 / 64) so each stays a compact listpack. Fixed for the life of an index.",
    )

    # --- logging ---------------------------------------------------------------------------
    log_json: bool = Field(False, description="Structured JSON logs (production) or console.")
    log_level: str = Field("INFO", description="Root log level.")

    @property
    def celery_broker_url(self) -> str:
        return self.broker_url or self.redis_url

    _file_tenants: list[TenantConfig] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _load_tenants(self) -> Self:
        """Reads the tenants file once; refuses a tenant name or a key given twice."""
        if self.tenants_file is not None:
            try:
                text = self.tenants_file.read_bytes()
            except OSError as exc:
                raise ValueError(f"tenants_file: cannot read {self.tenants_file}: {exc.strerror}") from None
            self._file_tenants = TypeAdapter(list[TenantConfig]).validate_json(text)
        self.tenant_configs()
        return self

    def tenant_configs(self) -> list[TenantConfig]:
        """Every tenant (``tenants``, then the file's), the keys of ``api_keys`` in the default one."""
        return merge_tenants([*self.tenants, *self._file_tenants], self.api_keys)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
