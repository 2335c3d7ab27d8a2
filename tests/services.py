"""The real services the DuckLake tests run on (issue 19): a temporary Postgres cluster for
the catalog and a local S3 server for the data files, each on a free loopback port, started
once per test process and stopped at its end (the fixtures `postgres` and `s3_server` in
conftest.py).

- Postgres is Debian's `postgresql` package (`make services-deps` installs it): `initdb` and
  `pg_ctl` from /usr/lib/postgresql/*/bin (or $PEAKEND_POSTGRES_BIN, or the PATH), in a temporary folder, trust
  authentication on 127.0.0.1 only, no fsync. initdb refuses to run as root: as root the
  cluster runs as `nobody` (runuser), in a folder of its own.
- S3 is moto's server (`moto[server]` from requirements-dev.txt), `python -m moto.server` in
  a process of its own: the DuckDB of the test process reads the bucket through it, and a
  server in a thread of that process would wait on its GIL.

When one can't start, `ServiceUnavailable` says why, and the tests that need it skip with
that reason (a failure under CI: conftest.py).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

USER = "peakend"  # the cluster's superuser; trust authentication, loopback only
S3_KEY, S3_SECRET, S3_REGION = "peakend-test", "peakend-test-secret", "us-east-1"
BUCKET = "peakend-lake"


class ServiceUnavailable(RuntimeError):
    """A service the DuckLake tests need could not start; the message says what to install."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postgres_bin() -> Path:
    """$PEAKEND_POSTGRES_BIN, else the newest Debian cluster's binaries, else initdb on the PATH."""
    if os.environ.get("PEAKEND_POSTGRES_BIN"):
        given = Path(os.environ["PEAKEND_POSTGRES_BIN"])
        if not (given / "initdb").exists() or not (given / "pg_ctl").exists():
            raise ServiceUnavailable(f"PEAKEND_POSTGRES_BIN={given} holds no initdb and pg_ctl")
        return given

    def version(folder: str) -> tuple[int, ...]:
        name = Path(folder).parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit())

    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    raise ServiceUnavailable("Postgres is not installed (make services-deps, or: sudo apt-get install -y postgresql)")


@dataclass
class Postgres:
    """A running temporary cluster: `dsn(dbname)` names one of its databases."""

    bin: Path
    folder: Path
    port: int
    as_user: list[str] = field(default_factory=list)  # runuser -u nobody -- when we are root
    host: str = "127.0.0.1"

    def dsn(self, dbname: str = "postgres") -> str:
        return f"dbname={dbname} host={self.host} port={self.port} user={USER}"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        psql = self.bin / "psql" if (self.bin / "psql").exists() else Path(shutil.which("psql") or "psql")
        done = subprocess.run(
            [str(psql), "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-p", str(self.port),
             "-U", USER, "-d", dbname, "-c", sql],
            capture_output=True, text=True, timeout=60,
        )
        if done.returncode:
            raise RuntimeError(f"psql: {done.stderr.strip()}")
        return done.stdout.strip()

    def create_database(self, name: str) -> str:
        """A new database of the cluster, empty; its DSN."""
        self.psql(f'create database "{name}"')
        return self.dsn(name)

    def stop(self) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop"],
            capture_output=True, timeout=60, cwd=self.folder,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres() -> Postgres:
    """initdb and pg_ctl start a cluster on a free loopback port; raises ServiceUnavailable."""
    binaries = _postgres_bin()
    root = os.geteuid() == 0
    # as root, in /tmp: nobody must reach the folder (a $TMPDIR may be root's alone)
    folder = Path(tempfile.mkdtemp(prefix="peakend-pg-", dir="/tmp" if root else None))
    as_user: list[str] = []
    if root:  # initdb refuses root: the cluster runs as nobody, in a folder of its own
        runuser = shutil.which("runuser")
        if not runuser:
            raise ServiceUnavailable("running as root without runuser (util-linux): can't start Postgres as nobody")
        import pwd

        nobody = pwd.getpwnam("nobody")
        os.chown(folder, nobody.pw_uid, nobody.pw_gid)
        as_user = [runuser, "-u", "nobody", "--"]
    cluster = Postgres(binaries, folder, free_port(), as_user)
    steps = [
        [str(binaries / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U", USER, "--no-sync", "-E", "UTF8"],
        [str(binaries / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "server.log"), "-w", "-t", "60",
         "-o", f"-p {cluster.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
         "-c synchronous_commit=off -c full_page_writes=off", "start"],
    ]
    for step in steps:
        done = subprocess.run([*as_user, *step], capture_output=True, text=True, timeout=120, cwd=folder)
        if done.returncode:
            log = (folder / "server.log").read_text(errors="replace")[-2000:] if (folder / "server.log").exists() else ""
            cluster.stop()
            raise ServiceUnavailable(f"{Path(step[0]).name} failed: {(done.stderr or done.stdout).strip()[-2000:]} {log}")
    return cluster


@dataclass
class S3Server:
    """moto's S3 server in a process of its own, with one bucket (BUCKET)."""

    process: subprocess.Popen
    port: int
    log: Path
    host: str = "127.0.0.1"

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self) -> dict[str, str]:
        """The environment a PeakEnd process reads the bucket with (peakend/warehouse/lake.py)."""
        return {
            "AWS_ACCESS_KEY_ID": S3_KEY,
            "AWS_SECRET_ACCESS_KEY": S3_SECRET,
            "AWS_REGION": S3_REGION,
            "AWS_ENDPOINT_URL": self.endpoint,
        }

    def client(self):
        import boto3

        return boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=S3_KEY, aws_secret_access_key=S3_SECRET,
            region_name=S3_REGION,
        )

    def keys(self, prefix: str = "", bucket: str = BUCKET) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [o["Key"] for page in pages for o in page.get("Contents", [])]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.unlink(missing_ok=True)


def start_s3() -> S3Server:
    """`python -m moto.server` on a free loopback port, with BUCKET made; raises ServiceUnavailable."""
    try:
        import boto3  # noqa: F401
        import moto.server  # noqa: F401
    except ImportError as e:
        raise ServiceUnavailable(f"moto's S3 server is not installed ({e}; pip install -r requirements-dev.txt)") from None
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="peakend-s3-", suffix=".log")[1])
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out, stderr=subprocess.STDOUT,
        )
    server = S3Server(process, port, log)
    deadline = time.monotonic() + 60
    while True:
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{server.endpoint}/moto-api/", timeout=1):
            break
        if process.poll() is not None or time.monotonic() > deadline:
            said = log.read_text(errors="replace")[-2000:]
            server.stop()
            raise ServiceUnavailable(f"moto's S3 server did not start: {said}")
        time.sleep(0.1)
    server.client().create_bucket(Bucket=BUCKET)
    return server
