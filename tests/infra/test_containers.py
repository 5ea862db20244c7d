"""Checks of the container, Kubernetes and Terraform files, all offline and without Docker.

docker-compose, hadolint and kubernetes-validate are project tools: scripts/install-tools.sh
installs them (``make test`` runs it), and a test that finds one missing fails and says so.
Terraform is a machine tool: its tests skip when the binary is absent.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
K8S_DIR = REPO / "infra" / "k8s"
TF_DIR = REPO / "infra" / "terraform"
DOCKERFILES = {
    "api": REPO / "services" / "api" / "Dockerfile",
    "ingest": REPO / "services" / "ingest" / "Dockerfile",
}
# Where a tool installed by scripts/install-tools.sh may be, besides PATH.
TOOL_DIRS = (REPO / ".venv" / "bin", REPO / "var" / "tools" / "bin")
# Roots of local Terraform provider mirrors (layout HOST/NAMESPACE/TYPE/VERSION/OS_ARCH/).
TF_MIRROR_ROOTS = (
    Path("/opt/tf-plugins"),
    Path.home() / ".terraform.d" / "plugins",
    Path("/usr/local/share/terraform/plugins"),
    Path("/usr/share/terraform/plugins"),
)
LONG_RUNNING = ("redis", "s3", "api", "worker")


# --- helpers ---------------------------------------------------------------------------------


def find_tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in TOOL_DIRS:
        candidate = folder / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def require_tool(name: str) -> str:
    path = find_tool(name)
    if path is None:
        pytest.fail(
            f"{name} not found on PATH nor in .venv/bin or var/tools/bin: run scripts/install-tools.sh"
        )
    return path


def run(
    args: list[str], *, cwd: Path = REPO, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=180, check=False)


def explain(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]  # type: ignore[no-any-return]


def k8s_files() -> list[Path]:
    return sorted(p for p in K8S_DIR.glob("*.yaml") if p.name != "kustomization.yaml")


def k8s_documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in k8s_files():
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


def k8s_of_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for doc in k8s_documents() if doc["kind"] == kind]


def pod_specs() -> Iterator[tuple[str, dict[str, Any]]]:
    for doc in k8s_documents():
        if doc["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "Job"}:
            yield doc["metadata"]["name"], doc["spec"]["template"]["spec"]


def containers() -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for name, spec in pod_specs():
        for container in spec["containers"]:
            yield f"{name}/{container['name']}", container, spec


def settings_env_names() -> set[str]:
    from ingest_core.settings import Settings

    return {f"INGEST_{field.upper()}" for field in Settings.model_fields}


def instructions(dockerfile: Path) -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def final_stage(dockerfile: Path) -> list[str]:
    """Instructions of the last build stage (the image that ships)."""
    lines = instructions(dockerfile)
    starts = [i for i, line in enumerate(lines) if line.upper().startswith("FROM ")]
    return lines[starts[-1] :]


def redis_db(url: str) -> int:
    match = re.search(r"/(\d+)$", url)
    return int(match.group(1)) if match else 0


# --- docker-compose.yml ------------------------------------------------------------------------


def test_compose_file_is_valid_for_docker_compose() -> None:
    tool = require_tool("docker-compose")
    result = run([tool, "-f", str(COMPOSE_FILE), "config", "-q"])
    assert result.returncode == 0, explain(result)


def test_redis_keeps_an_append_only_file_on_a_volume(services: dict[str, dict[str, Any]]) -> None:
    redis = services["redis"]
    command = redis["command"]
    assert "--appendonly" in command
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(str(volume).endswith(":/data") for volume in redis["volumes"])


def test_s3_keeps_its_data_on_a_volume(services: dict[str, dict[str, Any]]) -> None:
    s3 = services["s3"]
    assert "-dir=/data" in s3["command"]
    assert any(str(volume).endswith(":/data") for volume in s3["volumes"])


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_every_long_running_service_has_a_healthcheck_and_a_restart_policy(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    service = services[name]
    assert service["healthcheck"]["test"], f"{name} has no healthcheck"
    assert not service["healthcheck"].get("disable", False)
    assert service["restart"] in {"unless-stopped", "always", "on-failure"}


@pytest.mark.parametrize("name", ["api", "worker"])
def test_api_and_worker_wait_for_healthy_redis_and_s3_and_a_created_bucket(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    depends_on = services[name]["depends_on"]
    assert depends_on["redis"]["condition"] == "service_healthy"
    assert depends_on["s3"]["condition"] == "service_healthy"
    assert depends_on["bucket-init"]["condition"] == "service_completed_successfully"


def test_bucket_init_runs_once_after_s3_is_healthy(services: dict[str, dict[str, Any]]) -> None:
    init = services["bucket-init"]
    assert init["depends_on"]["s3"]["condition"] == "service_healthy"
    assert init["restart"] == "no"


def test_bucket_init_program_is_valid_python_calling_the_object_store(
    services: dict[str, dict[str, Any]],
) -> None:
    from ingest_core.storage import ObjectStore

    command = services["bucket-init"]["command"]
    assert command[:2] == ["python", "-c"]
    compile(command[2], "<bucket-init>", "exec")
    for method in re.findall(r"store\.(\w+)\(", command[2]):
        assert callable(getattr(ObjectStore, method, None)), f"ObjectStore has no {method}()"


def test_only_the_api_publishes_a_port(services: dict[str, dict[str, Any]]) -> None:
    publishing = {name for name, service in services.items() if service.get("ports")}
    assert publishing == {"api"}
    assert [str(port).rsplit(":", 1)[-1] for port in services["api"]["ports"]] == ["8000"]


def test_api_healthcheck_asks_healthz_without_curl(services: dict[str, dict[str, Any]]) -> None:
    test = services["api"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    assert "/healthz" in test[3]
    compile(test[3], "<api-healthcheck>", "exec")


def test_worker_healthcheck_pings_its_own_celery_node(services: dict[str, dict[str, Any]]) -> None:
    test = " ".join(services["worker"]["healthcheck"]["test"])
    assert "inspect ping" in test
    assert "celery@$$HOSTNAME" in test  # $$: compose passes a literal $ to the shell


@pytest.mark.parametrize("name", ["api", "worker", "bucket-init"])
def test_api_worker_and_bucket_init_get_every_connection_setting(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    env = services[name]["environment"]
    for key in (
        "INGEST_REDIS_URL",
        "INGEST_BROKER_URL",
        "INGEST_S3_ENDPOINT_URL",
        "INGEST_S3_BUCKET",
        "INGEST_S3_ACCESS_KEY_ID",
        "INGEST_S3_SECRET_ACCESS_KEY",
        "INGEST_S3_REGION",
    ):
        assert env.get(key), f"{name} lacks {key}"
    assert env["INGEST_REDIS_URL"].startswith("redis://redis:")
    assert env["INGEST_S3_ENDPOINT_URL"].startswith("http://s3:")


def test_s3_checks_the_same_credentials_the_services_send(services: dict[str, dict[str, Any]]) -> None:
    s3_env = services["s3"]["environment"]
    api_env = services["api"]["environment"]
    assert s3_env["AWS_ACCESS_KEY_ID"] == api_env["INGEST_S3_ACCESS_KEY_ID"]
    assert s3_env["AWS_SECRET_ACCESS_KEY"] == api_env["INGEST_S3_SECRET_ACCESS_KEY"]


def test_every_ingest_variable_in_compose_is_a_known_setting(services: dict[str, dict[str, Any]]) -> None:
    known = settings_env_names()
    for name, service in services.items():
        unknown = {key for key in service.get("environment", {}) if key.startswith("INGEST_")} - known
        assert not unknown, f"{name} sets variables Settings does not read: {sorted(unknown)}"


def test_services_build_from_the_repository_root_with_their_own_dockerfile(
    services: dict[str, dict[str, Any]],
) -> None:
    expected = {
        "api": "services/api/Dockerfile",
        "bucket-init": "services/api/Dockerfile",
        "worker": "services/ingest/Dockerfile",
    }
    for name, dockerfile in expected.items():
        build = services[name]["build"]
        assert build["context"] == "."
        assert build["dockerfile"] == dockerfile
        assert (REPO / dockerfile).is_file()


# --- Dockerfiles ------------------------------------------------------------------------------


@pytest.mark.parametrize("service", sorted(DOCKERFILES))
def test_dockerfile_passes_hadolint_without_warnings(service: str) -> None:
    tool = require_tool("hadolint")
    result = run([tool, "--no-color", "--failure-threshold", "warning", str(DOCKERFILES[service])])
    assert result.returncode == 0, explain(result)


@pytest.mark.parametrize("service", sorted(DOCKERFILES))
def test_dockerfile_runtime_stage_runs_as_a_numeric_non_root_user(service: str) -> None:
    users = [
        line.split()[1] for line in final_stage(DOCKERFILES[service]) if line.upper().startswith("USER ")
    ]
    assert users, "the runtime stage never switches user"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, f"USER {users[-1]}: Kubernetes' runAsNonRoot needs a numeric uid"


@pytest.mark.parametrize("service", sorted(DOCKERFILES))
def test_dockerfile_runtime_stage_declares_a_healthcheck(service: str) -> None:
    assert any(line.upper().startswith("HEALTHCHECK ") for line in final_stage(DOCKERFILES[service]))


@pytest.mark.parametrize("service", sorted(DOCKERFILES))
def test_dockerfile_installs_with_the_pinned_constraints_and_no_pip_cache(service: str) -> None:
    text = DOCKERFILES[service].read_text()
    assert re.search(r"^COPY constraints\.txt ", text, re.MULTILINE)
    installs = re.findall(r"pip install [^\n]*", text)
    assert installs
    for install in installs:
        assert "-c constraints.txt" in install
        assert "--no-cache-dir" in install


@pytest.mark.parametrize("service", sorted(DOCKERFILES))
def test_dockerfile_base_images_are_pinned_to_a_patch_release(service: str) -> None:
    text = DOCKERFILES[service].read_text()
    defaults = dict(re.findall(r"^ARG (\w+)=(\S+)", text, re.MULTILINE))
    for written in re.findall(r"^FROM (\S+)", text, re.MULTILINE):
        image = defaults.get(written.strip("${}"), written)
        if image in {"builder", "runtime"}:
            continue
        tag = image.partition(":")[2]
        assert re.match(r"\d+\.\d+\.\d+", tag), f"{image} is not pinned to a patch release"


def test_dockerignore_lets_in_exactly_what_the_dockerfiles_copy() -> None:
    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*", "the build context should be an allow-list"
    allowed = {pattern[1:].rstrip("/") for pattern in patterns if pattern.startswith("!")}
    copied: set[str] = set()
    for dockerfile in DOCKERFILES.values():
        for line in instructions(dockerfile):
            if line.upper().startswith("COPY ") and "--from=" not in line:
                copied.update(line.split()[1:-1])
    assert copied, "no COPY found"
    missing = {source for source in copied if source.rstrip("/") not in allowed}
    assert not missing, f".dockerignore keeps out what a Dockerfile copies: {sorted(missing)}"


# --- Kubernetes -------------------------------------------------------------------------------


def test_kubernetes_manifests_match_the_api_schemas() -> None:
    tool = require_tool("kubernetes-validate")
    files = [str(path) for path in k8s_files()]
    result = run([tool, "--strict", "--quiet", "--no-warn", "-k", "1.30.0", *files])
    assert result.returncode == 0, explain(result)


def test_kustomization_applies_every_manifest_except_the_secret_template() -> None:
    kustomization = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    expected = {path.name for path in k8s_files()} - {"secret.example.yaml"}
    assert listed == expected


def test_secret_template_holds_only_placeholders() -> None:
    (secret,) = k8s_of_kind("Secret")
    assert "data" not in secret
    for key, value in secret["stringData"].items():
        assert "<" in value and ">" in value, f"{key} looks like a real value"


def test_every_container_requests_and_limits_cpu_and_memory() -> None:
    seen = 0
    for name, container, _ in containers():
        seen += 1
        resources = container.get("resources", {})
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                assert resources.get(kind, {}).get(resource), f"{name} has no {kind}.{resource}"
    assert seen >= 2


def test_every_container_has_liveness_readiness_and_startup_probes() -> None:
    for name, container, _ in containers():
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            assert container.get(probe), f"{name} has no {probe}"


def test_every_container_runs_as_non_root_with_a_read_only_root_and_no_capabilities() -> None:
    for name, container, pod in containers():
        pod_context = pod.get("securityContext", {})
        context = container.get("securityContext", {})
        assert context.get("runAsNonRoot", pod_context.get("runAsNonRoot")) is True, name
        assert context.get("runAsUser", pod_context.get("runAsUser", 0)) != 0, name
        assert context.get("allowPrivilegeEscalation") is False, name
        assert context.get("readOnlyRootFilesystem") is True, name
        assert context.get("capabilities", {}).get("drop") == ["ALL"], name
        assert pod_context.get("seccompProfile", {}).get("type") == "RuntimeDefault", name
        mounts = {mount["mountPath"] for mount in container.get("volumeMounts", [])}
        assert "/tmp" in mounts, f"{name}: a read-only root needs a writable /tmp"


def test_every_ingest_variable_in_the_config_map_and_secret_is_a_known_setting() -> None:
    known = settings_env_names()
    for doc in k8s_of_kind("ConfigMap") + k8s_of_kind("Secret"):
        values = doc.get("data") or doc.get("stringData") or {}
        unknown = {key for key in values if key.startswith("INGEST_")} - known
        assert not unknown, (
            f"{doc['metadata']['name']} sets variables Settings does not read: {sorted(unknown)}"
        )


def test_api_service_and_disruption_budget_select_the_api_pods() -> None:
    (deployment,) = [d for d in k8s_of_kind("Deployment") if d["metadata"]["name"] == "ingest-api"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    ports = {port["name"] for port in deployment["spec"]["template"]["spec"]["containers"][0]["ports"]}
    (service,) = k8s_of_kind("Service")
    assert service["spec"]["selector"].items() <= labels.items()
    assert {port["targetPort"] for port in service["spec"]["ports"]} <= ports
    (pdb,) = k8s_of_kind("PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert 0 < pdb["spec"]["minAvailable"] < deployment["spec"]["replicas"], (
        "the budget would block every drain"
    )


def test_workers_autoscale_on_the_length_of_the_celery_queue() -> None:
    from ingest_core.tasks import QUEUE

    (scaled,) = k8s_of_kind("ScaledObject")
    (worker,) = [d for d in k8s_of_kind("Deployment") if d["metadata"]["name"] == "ingest-worker"]
    assert scaled["spec"]["scaleTargetRef"]["name"] == worker["metadata"]["name"]
    assert scaled["spec"]["minReplicaCount"] >= 1
    assert scaled["spec"]["maxReplicaCount"] > scaled["spec"]["minReplicaCount"]
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "redis"
    assert trigger["metadata"]["listName"] == QUEUE
    assert int(trigger["metadata"]["listLength"]) > 0
    # The list lives in the broker's database: the one INGEST_BROKER_URL names.
    (secret,) = k8s_of_kind("Secret")
    assert int(trigger["metadata"]["databaseIndex"]) == redis_db(secret["stringData"]["INGEST_BROKER_URL"])
    # The worker consumes the queue KEDA measures.
    args = worker["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("-Q") + 1] == QUEUE


def test_compose_and_kubernetes_put_the_broker_in_the_same_redis_database(
    services: dict[str, dict[str, Any]],
) -> None:
    (secret,) = k8s_of_kind("Secret")
    compose_db = redis_db(services["worker"]["environment"]["INGEST_BROKER_URL"])
    assert compose_db == redis_db(secret["stringData"]["INGEST_BROKER_URL"])


def test_worker_grace_period_outlasts_the_task_time_limit() -> None:
    from ingest_core.settings import Settings

    task_time_limit = Settings.model_fields["task_time_limit"].default
    (worker,) = [d for d in k8s_of_kind("Deployment") if d["metadata"]["name"] == "ingest-worker"]
    assert worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > task_time_limit


# --- Terraform --------------------------------------------------------------------------------


def terraform() -> str:
    tool = shutil.which("terraform")
    if tool is None:
        pytest.skip(
            "terraform is not installed on this machine (a machine tool, not installed by the project)"
        )
    return tool


def provider_mirror() -> Path | None:
    """The root of a local mirror holding the AWS provider (TF_PLUGIN_MIRROR overrides)."""
    roots = (
        [Path(os.environ["TF_PLUGIN_MIRROR"])]
        if os.environ.get("TF_PLUGIN_MIRROR")
        else list(TF_MIRROR_ROOTS)
    )
    for root in roots:
        if any(root.glob("*/hashicorp/aws/*/*/terraform-provider-aws*")):
            return root
    return None


def terraform_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", TF_INPUT="0")
    configured = env.get("TF_CLI_CONFIG_FILE")
    if not configured or not Path(configured).is_file():
        empty = tmp_path / "terraformrc"
        empty.write_text("")
        env["TF_CLI_CONFIG_FILE"] = str(empty)
    return env


def test_terraform_configuration_validates_offline(tmp_path: Path) -> None:
    tool = terraform()
    mirror = provider_mirror()
    if mirror is None:
        pytest.skip("no local mirror of the AWS provider on this machine; set TF_PLUGIN_MIRROR")
    workdir = tmp_path / "terraform"
    shutil.copytree(
        TF_DIR, workdir, ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*")
    )
    env = terraform_env(tmp_path)
    init = run(
        [tool, "init", "-backend=false", f"-plugin-dir={mirror}", "-input=false", "-no-color"],
        cwd=workdir,
        env=env,
    )
    assert init.returncode == 0, explain(init)
    validate = run([tool, "validate", "-no-color"], cwd=workdir, env=env)
    assert validate.returncode == 0, explain(validate)


def test_terraform_files_are_formatted(tmp_path: Path) -> None:
    tool = terraform()
    result = run([tool, "fmt", "-check", "-recursive", "-no-color", str(TF_DIR)], env=terraform_env(tmp_path))
    assert result.returncode == 0, f"run `terraform fmt -recursive infra/terraform`\n{explain(result)}"


def test_terraform_provider_cache_lock_file_and_state_stay_out_of_git() -> None:
    paths = [
        "infra/terraform/.terraform/providers/x",
        "infra/terraform/.terraform.lock.hcl",
        "infra/terraform/terraform.tfstate",
        "infra/terraform/prod.tfvars",
    ]
    result = run(["git", "check-ignore", "--no-index", *paths])
    ignored = set(result.stdout.split())
    assert ignored == set(paths), f"not ignored: {sorted(set(paths) - ignored)}"
    template = run(["git", "check-ignore", "--no-index", "infra/terraform/terraform.tfvars.example"])
    assert template.returncode == 1, "the tfvars template must stay committed"


def test_bucket_blocks_public_access_encrypts_and_moves_raw_uploads_to_infrequent_access() -> None:
    s3 = (TF_DIR / "s3.tf").read_text()
    for setting in (
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ):
        assert re.search(rf"{setting}\s*=\s*true", s3), setting
    assert "aws_s3_bucket_server_side_encryption_configuration" in s3
    assert re.search(r'prefix\s*=\s*"raw/"', s3)
    assert re.search(r'storage_class\s*=\s*"STANDARD_IA"', s3)
    variables = (TF_DIR / "variables.tf").read_text()
    assert re.search(r'variable "raw_transition_days" \{[^}]*default\s*=\s*30', variables, re.DOTALL)


def test_redis_replication_group_is_multi_az_encrypted_and_never_evicts() -> None:
    redis = (TF_DIR / "redis.tf").read_text()
    for setting in (
        "automatic_failover_enabled",
        "multi_az_enabled",
        "at_rest_encryption_enabled",
        "transit_encryption_enabled",
    ):
        assert re.search(rf"{setting}\s*=\s*true", redis), setting
    assert re.search(r'value\s*=\s*"noeviction"', redis)
