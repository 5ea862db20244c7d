"""Object store over boto3: conditional puts, reads and ordered listings.

Writes that may happen twice (tasks are delivered at least once) use ``If-None-Match: *`` so
the second write is a no-op rather than a new version.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ingest_core.errors import NotFound, StorageError
from ingest_core.s3_requests import S3Requests
from ingest_core.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_PRECONDITION_CODES = {"PreconditionFailed", "412", "ConditionalRequestConflict"}
_MISSING_CODES = {"NoSuchKey", "404", "NotFound"}


def _patience(settings: Settings, interactive: bool) -> tuple[int, float, float]:
    """(attempts in all, connect timeout, read timeout) for requests someone waits on, or not."""
    if interactive:
        return 2, settings.s3_interactive_timeout, settings.s3_interactive_timeout
    return 5, 5.0, 30.0


def make_s3_client(settings: Settings, *, interactive: bool = False) -> S3Client:
    """A boto3 S3 client for the settings' endpoint.

    The default is patient (long reads, four retries): workers and uploads would rather wait
    than fail. ``interactive`` is for requests someone is waiting on (the API's reads and its
    readiness probe): ``s3_interactive_timeout`` to connect and to read, one retry, so a
    stopped store gives a quick 503 instead of a request hanging for minutes.
    """
    secret = settings.s3_secret_access_key
    attempts, connect, read = _patience(settings, interactive)
    patience: dict[str, Any] = {
        "retries": {"total_max_attempts": attempts, "mode": "standard"},
        "connect_timeout": connect,
        "read_timeout": read,
    }
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id,
        aws_secret_access_key=secret.get_secret_value() if secret else None,
        config=Config(**patience, s3={"addressing_style": "path"}, max_pool_connections=32),
    )


@dataclass(frozen=True)
class PutResult:
    key: str
    created: bool  # False: the key existed already and nothing was written


def make_s3_requests(settings: Settings, *, interactive: bool = False) -> S3Requests | None:
    """The lean GET/PUT path (``s3_requests``) when the settings name an endpoint and keys;
    None otherwise (boto3's credential chain: instance roles, profiles) or when turned off."""
    secret = settings.s3_secret_access_key
    if not (settings.s3_fast_requests and settings.s3_endpoint_url and settings.s3_access_key_id and secret):
        return None
    attempts, connect, read = _patience(settings, interactive)
    return S3Requests(
        endpoint_url=settings.s3_endpoint_url,
        bucket=settings.s3_bucket,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=secret.get_secret_value(),
        region=settings.s3_region,
        max_attempts=attempts,
        connect_timeout=connect,
        read_timeout=read,
    )


class ObjectStore:
    """The bucket, seen as the service uses it.

    Single-object reads and writes of bytes go through ``requests`` when given (the hot path:
    a record PUT per document); everything else, and all of it without one, through boto3.
    """

    def __init__(self, client: S3Client, bucket: str, requests: S3Requests | None = None) -> None:
        self.client = client
        self.bucket = bucket
        self.requests = requests

    @classmethod
    def from_settings(cls, settings: Settings, *, interactive: bool = False) -> ObjectStore:
        return cls(
            make_s3_client(settings, interactive=interactive),
            settings.s3_bucket,
            make_s3_requests(settings, interactive=interactive),
        )

    def ensure_bucket(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _code(exc) not in _MISSING_CODES | {"NoSuchBucket"}:
                raise StorageError(f"bucket {self.bucket!r} is not reachable: {exc}") from exc
            try:
                self.client.create_bucket(Bucket=self.bucket)
            except ClientError as create_exc:
                if _code(create_exc) not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise StorageError(f"cannot create bucket: {create_exc}") from create_exc

    def check(self) -> None:
        """Raises StorageError when the bucket cannot be reached."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"bucket {self.bucket!r} is not reachable: {exc}") from exc

    def put_if_absent(
        self,
        key: str,
        body: bytes | IO[bytes],
        *,
        content_type: str = "application/octet-stream",
        metadata: dict[str, str] | None = None,
    ) -> PutResult:
        """Writes unless the key exists. Content-addressed or idempotent keys only."""
        kwargs: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "Body": body,
            "ContentType": content_type,
            "IfNoneMatch": "*",
        }
        if metadata:
            kwargs["Metadata"] = metadata
        small = _small_body(body) if self.requests is not None and not metadata else None
        try:
            if self.requests is not None and small is not None:
                self.requests.put(key, small, content_type=content_type, if_none_match=True)
            else:
                self.client.put_object(**kwargs)
        except ClientError as exc:
            if _code(exc) in _PRECONDITION_CODES:
                return PutResult(key, created=False)
            raise
        return PutResult(key, created=True)

    def put(self, key: str, body: bytes, *, content_type: str = "application/json") -> None:
        """Unconditional write, for summaries that may be rewritten with newer content."""
        if self.requests is not None:
            self.requests.put(key, body, content_type=content_type)
            return
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)

    def get(self, key: str) -> bytes:
        try:
            if self.requests is not None:
                return self.requests.get(key)
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _MISSING_CODES:
                # Callers name what is missing (a record, a raw upload): keys stay internal.
                raise NotFound("not found") from exc
            raise
        return response["Body"].read()

    def get_range(self, key: str, start: int, end: int) -> bytes:
        """Bytes ``start`` (inclusive) to ``end`` (exclusive) of an object: one request."""
        if end <= start:
            return b""
        try:
            if self.requests is not None:
                return self.requests.get(key, (start, end))
            response = self.client.get_object(Bucket=self.bucket, Key=key, Range=f"bytes={start}-{end - 1}")
        except ClientError as exc:
            if _code(exc) in _MISSING_CODES:
                raise NotFound("the stored upload is missing") from exc
            raise
        return response["Body"].read()

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _MISSING_CODES:
                return False
            raise
        return True

    def list_after(self, prefix: str, start_after: str | None = None, limit: int = 1000) -> list[str]:
        """Keys under ``prefix`` in key order, strictly after ``start_after``."""
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "MaxKeys": min(limit, 1000)}
        if start_after:
            kwargs["StartAfter"] = start_after
        response = self.client.list_objects_v2(**kwargs)
        return [item["Key"] for item in response.get("Contents", [])][:limit]

    def list_prefixes(self, prefix: str) -> list[str]:
        """The "folders" right under ``prefix`` (``records/v1/`` → each collection's)."""
        found: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
            found += [p["Prefix"] for p in page.get("CommonPrefixes", []) if "Prefix" in p]
        return found

    def open(self, key: str, chunk_size: int = 1 << 20) -> tuple[Iterator[bytes], int | None]:
        """An object as chunks (for streaming it to a client) and its length."""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _MISSING_CODES:
                raise NotFound("not found") from exc
            raise
        body = response["Body"]
        return body.iter_chunks(chunk_size), response.get("ContentLength")

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def iter_keys(self, prefix: str, start_after: str | None = None) -> Iterator[str]:
        while True:
            keys = self.list_after(prefix, start_after)
            if not keys:
                return
            yield from keys
            start_after = keys[-1]


#: Bodies up to this size go through the lean path whole; larger files stream through boto3.
LEAN_PUT_MAX_BYTES = 16 * 1024 * 1024


def _small_body(body: bytes | IO[bytes]) -> bytes | None:
    """The body as bytes when it is small enough to hold (a file is read from where it stands)."""
    if isinstance(body, bytes):
        return body if len(body) <= LEAN_PUT_MAX_BYTES else None
    try:
        start = body.tell()
        end = body.seek(0, 2)
        body.seek(start)
    except (AttributeError, OSError):
        return None
    return body.read() if end - start <= LEAN_PUT_MAX_BYTES else None


def _code(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    code = str(error.get("Code", ""))
    return code if code else status
