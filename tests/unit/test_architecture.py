"""The layering the design promises: the API and the contracts never import the pipeline."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _imports(package_dir: Path) -> set[str]:
    names: set[str] = set()
    for path in package_dir.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
    return names


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("services/api/src/ingest_api", ("ingest_worker", "ingest_devstack")),
        (
            "services/core/src/ingest_core",
            ("ingest_worker", "ingest_api", "ingest_devstack", "fastapi", "celery"),
        ),
        ("services/ingest/src/ingest_worker", ("ingest_api", "ingest_devstack", "fastapi")),
    ],
)
def test_a_layer_does_not_import_what_sits_above_or_beside_it(
    package: str, forbidden: tuple[str, ...]
) -> None:
    offending = sorted(name for name in _imports(REPO / package) if name.split(".")[0] in forbidden)
    assert offending == []


def test_the_api_sends_tasks_by_the_name_the_worker_registers() -> None:
    from ingest_core.tasks import PROCESS_BATCH
    from ingest_worker.app import app

    app.loader.import_default_modules()
    assert PROCESS_BATCH in app.tasks
