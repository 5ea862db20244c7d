"""Client library and CLI for the ingest HTTP API (v1). Standalone: no server packages needed."""

from __future__ import annotations

from ingest_client.client import DEFAULT_BASE_URL, IngestClient, UploadProgress, default_base_url
from ingest_client.errors import ApiUnreachable, ExportFailed, IngestAPIError, IngestError, WaitTimeoutError
from ingest_client.models import Document, Export, FeedPage, Job, JobList, JobListItem, Record, job_finished

__all__ = [
    "DEFAULT_BASE_URL",
    "ApiUnreachable",
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
    "default_base_url",
    "job_finished",
]

__version__ = "0.1.0"
