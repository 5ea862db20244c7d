"""Client library and CLI for the ingest HTTP API (v1). Standalone: no server packages needed."""

from __future__ import annotations

from ingest_client.client import DEFAULT_BASE_URL, IngestClient, UploadProgress, default_base_url
from ingest_client.errors import ApiUnreachable, ExportFailed, IngestAPIError, IngestError, WaitTimeoutError
from ingest_client.models import (
    Delivery,
    Document,
    Export,
    FeedPage,
    Job,
    JobList,
    JobListItem,
    Record,
    Webhook,
    job_finished,
)
from ingest_client.webhooks import WebhookVerificationFailed, verify_webhook

__all__ = [
    "DEFAULT_BASE_URL",
    "ApiUnreachable",
    "Delivery",
    "Document",
    "Export",
    "ExportFailed",
    "FeedPage",
    "IngestAPIError",
    "IngestClient",
    "IngestError",
    "Job",
    "JobList",
    "JobListItem",
    "Record",
    "UploadProgress",
    "WaitTimeoutError",
    "Webhook",
    "WebhookVerificationFailed",
    "default_base_url",
    "job_finished",
    "verify_webhook",
]

__version__ = "0.1.0"
