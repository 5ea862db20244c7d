"""Every error leaves as ``{"error": {"code", "message", "details"}}`` with the right status."""

from __future__ import annotations

from typing import Any

import redis
import structlog
from botocore.exceptions import BotoCoreError, ClientError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from ingest_core.errors import BadRequest, IngestError, ServiceUnavailable, StorageError, ValidationFailed
from ingest_core.schema import ErrorResponse

log = structlog.get_logger("ingest_api")

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in {
        400: "Bad request",
        401: "API key missing",
        403: "API key not accepted, or not allowed this collection",
        404: "Not found",
        409: "Conflict",
        413: "Too large",
        415: "Unsupported media type",
        422: "Invalid parameters",
        429: "Over the API key's request or document rate (see Retry-After)",
        503: "Redis or storage unavailable, or (uploads) the queue is full (see Retry-After)",
    }.items()
}
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {code: ERROR_RESPONSES[code] for code in (401, 403, 429)}
"""What any route behind an API key may answer."""


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error answers one route can give: the API key's (401, 403, 429), Redis or storage
    down (503), plus ``codes``. Each route lists only what it can return."""
    return {code: ERROR_RESPONSES[code] for code in sorted({401, 403, 429, 503, *codes})}


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
}


def error_response(exc: IngestError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
    return JSONResponse(exc.to_body(), status_code=exc.status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(IngestError)
    async def _ingest_error(request: Request, exc: IngestError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"loc": list(err.get("loc", ())), "msg": err.get("msg"), "type": err.get("type")}
            for err in exc.errors()
        ]
        return error_response(ValidationFailed("request parameters are invalid", details=details))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        body = {
            "error": {
                "code": _HTTP_CODES.get(exc.status_code, "http_error"),
                "message": str(exc.detail),
                "details": None,
            }
        }
        return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(ClientDisconnect)
    async def _client_gone(request: Request, exc: ClientDisconnect) -> JSONResponse:
        # The client closed the connection mid-body (an aborted upload): nothing broke here,
        # so one line, no traceback, and a 4xx in the metrics. Nobody reads the answer.
        log.info(
            "request.aborted",
            method=request.method,
            path=request.url.path,
            reason="client disconnected before the request body was complete",
        )
        return error_response(BadRequest("the client closed the connection before the body was complete"))

    @app.exception_handler(redis.RedisError)
    async def _redis_down(request: Request, exc: redis.RedisError) -> JSONResponse:
        log.warning("redis.unavailable", error=str(exc))
        return error_response(ServiceUnavailable("the job store (Redis) is unavailable", retry_after=5))

    @app.exception_handler(BotoCoreError)
    @app.exception_handler(ClientError)
    async def _storage_down(request: Request, exc: Exception) -> JSONResponse:
        log.warning("storage.unavailable", error=str(exc))
        return error_response(StorageError("object storage is unavailable", retry_after=5))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled", path=request.url.path)
        body = {"error": {"code": "internal_error", "message": "internal error", "details": None}}
        return JSONResponse(body, status_code=500)
