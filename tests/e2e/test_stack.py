"""The whole stack started the way `make run` starts it, used over HTTP as a person would."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from ingest_core.keys import raw_key, record_key
from ingest_devstack.servers import SeaweedS3, free_port

pytestmark = pytest.mark.e2e

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
EXPECTED: dict[str, Any] = json.loads((SAMPLES / "expected.json").read_text())
SAMPLE_FILES = sorted(name for name in EXPECTED if name.endswith(".txt"))


@dataclass
class RunningStack:
    process: subprocess.Popen[str]
    api_url: str
    s3_url: str
    output: list[str]


def _child_pids(pid: int) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    )
    return [int(p) for p in out.stdout.split()]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    data = tmp_path_factory.mktemp("stack")
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
    env.update({"INGEST_DATA_DIR": str(data), "INGEST_API_PORT": str(free_port()), "PYTHONUNBUFFERED": "1"})
    process = subprocess.Popen(
        [sys.executable, "-m", "ingest_devstack"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    assert process.stdout is not None
    output: list[str] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        if line.startswith("ready"):
            break
    text = "".join(output)
    api = re.search(r"^API:\s+(\S+)", text, re.M)
    s3 = re.search(r"^s3:\s+(\S+)", text, re.M)
    if not (api and s3):
        process.kill()
        pytest.fail("the stack did not start:\n" + text)
    yield RunningStack(process, api.group(1), s3.group(1), output)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        process.wait(90)


@pytest.fixture(scope="module")
def client(stack: RunningStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api_url, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def uploaded(client: httpx.Client) -> dict[str, Any]:
    response = client.post(
        "/v1/documents",
        files=[("files", (name, (SAMPLES / name).read_bytes(), "text/plain")) for name in SAMPLE_FILES],
        data={"collection": "samples"},
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/v1/jobs/{job_id}", params={"wait": 10}).json()
        if job["status"] not in {"queued", "running"}:
            return job
    raise AssertionError(f"job did not finish: {job}")


def _field(record: dict[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        value = value[part] if value is not None else None
    return value


def test_the_launcher_prints_the_api_and_docs_addresses(stack: RunningStack) -> None:
    text = "".join(stack.output)
    assert f"docs:    {stack.api_url}/docs" in text
    assert stack.api_url.startswith("http://127.0.0.1:")


def test_both_samples_are_stored(uploaded: dict[str, Any]) -> None:
    assert uploaded["status"] == "succeeded", uploaded
    assert [d["status"] for d in uploaded["documents"]] == ["stored", "stored"]


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_each_record_shows_what_expected_json_lists(
    client: httpx.Client, uploaded: dict[str, Any], name: str
) -> None:
    doc = next(d for d in uploaded["documents"] if d["filename"] == name)
    record = client.get(f"/v1/records/{doc['record_id']}").json()
    expected = EXPECTED[name]
    for dotted, value in expected["fields"].items():
        assert _field(record, dotted) == value, dotted
    text = record["text"]
    assert text.startswith(expected["text_starts_with"])
    for snippet in expected["text_must_contain"]:
        assert snippet in text
    for snippet in expected["text_must_not_contain"]:
        assert snippet not in text
    assert len(text.split("\n\n")) == expected["paragraphs"]


def test_records_are_in_the_bucket_under_the_documented_keys(
    stack: RunningStack, uploaded: dict[str, Any]
) -> None:
    s3 = boto3.client(
        "s3",
        endpoint_url=stack.s3_url,
        region_name="us-east-1",
        aws_access_key_id=SeaweedS3.access_key,
        aws_secret_access_key=SeaweedS3.secret_key,
    )
    for doc in uploaded["documents"]:
        body = (SAMPLES / doc["filename"]).read_bytes()
        raw = s3.get_object(Bucket="ingest", Key=raw_key("samples", hashlib.sha256(body).hexdigest()))
        assert raw["Body"].read() == body
        stored = json.loads(
            s3.get_object(Bucket="ingest", Key=record_key("samples", doc["record_id"]))["Body"].read()
        )
        assert stored["id"] == doc["record_id"]
    listed = s3.list_objects_v2(Bucket="ingest", Prefix="records/v1/samples/")
    assert len(listed.get("Contents", [])) == 2


def test_the_feed_lists_both_records(client: httpx.Client, uploaded: dict[str, Any]) -> None:
    feed = client.get("/v1/records", params={"collection": "samples"}).json()
    assert sorted(r["id"] for r in feed["items"]) == sorted(d["record_id"] for d in uploaded["documents"])


def test_uploading_a_sample_again_gives_a_duplicate(client: httpx.Client, uploaded: dict[str, Any]) -> None:
    name = SAMPLE_FILES[0]
    body = (SAMPLES / name).read_bytes()
    framed = (
        b"Breaking news from our partners\nShare this story\n\n" + body + b"\n\nSubscribe to our newsletter\n"
    )
    response = client.post(
        "/v1/documents",
        files=[("files", ("again.txt", body, "text/plain")), ("files", ("framed.txt", framed, "text/plain"))],
        data={"collection": "samples"},
    )
    job_id = response.json()["id"]
    job = client.get(f"/v1/jobs/{job_id}", params={"wait": 30}).json()
    while job["status"] in {"queued", "running"}:
        job = client.get(f"/v1/jobs/{job_id}", params={"wait": 30}).json()
    canonical = next(d["record_id"] for d in uploaded["documents"] if d["filename"] == name)
    for doc in job["documents"]:
        assert doc["status"] == "duplicate", doc
        assert doc["duplicate_of"] == canonical


def test_the_cli_uploads_a_folder_and_reports_each_outcome(stack: RunningStack, tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "copy.txt").write_bytes((SAMPLES / SAMPLE_FILES[1]).read_bytes())
    (folder / "empty.txt").write_bytes(b"")
    ingest = Path(sys.executable).parent / "ingest"
    result = subprocess.run(
        [str(ingest), "submit", str(folder), "-c", "samples", "--wait", "--json", "--api", stack.api_url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr  # one document was rejected
    outcome = json.loads(result.stdout)
    statuses = {d["filename"]: d["status"] for job in outcome for d in job["documents"]}
    assert statuses == {"copy.txt": "duplicate", "empty.txt": "rejected"}


def test_ctrl_c_stops_every_process_the_launcher_started(stack: RunningStack, client: httpx.Client) -> None:
    children = _child_pids(stack.process.pid)
    assert len(children) >= 4  # redis, s3, worker, api
    os.killpg(stack.process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    stack.process.wait(90)
    remaining = [pid for pid in children if Path(f"/proc/{pid}").exists()]
    assert remaining == []
    with pytest.raises(httpx.TransportError):
        client.get("/healthz")
