"""The running API fuzzed from its own OpenAPI schema (schemathesis): no request it documents,
valid or not, gets a 5xx, and every answer matches the schema (status, type, body)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ingest_api.main import create_app
from ingest_core.settings import Settings
from ingest_devstack.servers import ApiServer, Worker

pytestmark = pytest.mark.integration

EXAMPLES_PER_OPERATION = 60


def _documented_schema() -> dict[str, Any]:
    """The schema the running API serves, built from the same app without starting it."""
    return create_app(Settings()).openapi()


schema = schemathesis.openapi.from_dict(_documented_schema())
# Valid requests and invalid ones (wrong types, out-of-range values, missing fields) alike.
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


# The event stream stays open while a job runs; export downloads need a finished export.
@schema.exclude(path_regex=r"/events$").parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_fuzzed_requests_never_get_a_5xx_and_answer_as_documented(
    case: schemathesis.Case[Any], api_server: ApiServer, worker: Worker
) -> None:
    case.call_and_validate(
        base_url=api_server.url,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
        timeout=30,
    )
