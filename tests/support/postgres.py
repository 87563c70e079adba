"""A throwaway PostgreSQL cluster for tests: initdb in a temporary
directory, started on 127.0.0.1 on a free port, removed afterwards.

initdb refuses to run as root; as root the cluster belongs to the
``postgres`` system user and every server command runs through
``runuser -u postgres --``.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

USER = "tester"
PASSWORD = "s3cret-Pa55word"


def find_bindir() -> str | None:
    """Directory holding initdb and pg_ctl, or None."""
    candidates = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(os.environ["PG_BINDIR"])
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(os.path.dirname(initdb))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    candidates += sorted(glob.glob("/usr/local/pgsql*/bin"), reverse=True)
    for directory in candidates:
        if all(os.access(os.path.join(directory, tool), os.X_OK) for tool in ("initdb", "pg_ctl")):
            return directory
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Cluster:
    bindir: str
    root: str = ""
    port: int = 0
    databases: list[str] = field(default_factory=list)
    _as_postgres: bool = False

    def _cmd(self, *argv: str) -> list[str]:
        return (["runuser", "-u", "postgres", "--"] if self._as_postgres else []) + list(argv)

    def _run(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
        result = subprocess.run(self._cmd(*argv), capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def start(self) -> "Cluster":
        self._as_postgres = os.geteuid() == 0
        self.root = tempfile.mkdtemp(prefix="reactive-pg-")
        os.chmod(self.root, 0o755)
        if self._as_postgres:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        data = os.path.join(self.root, "data")
        pwfile = os.path.join(self.root, "pwfile")
        with open(pwfile, "w") as handle:
            handle.write(PASSWORD + "\n")
        if self._as_postgres:
            os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
        self._run(
            os.path.join(self.bindir, "initdb"), "-D", data, "-U", USER, f"--pwfile={pwfile}",
            "--auth=scram-sha-256", "--encoding=UTF8", "--no-sync",
        )
        self.port = _free_port()
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            os.path.join(self.bindir, "pg_ctl"), "-D", data, "-o", options,
            "-l", os.path.join(self.root, "server.log"), "-w", "-t", "60", "start",
        )
        return self

    def url(self, database: str = "postgres", password: str = PASSWORD) -> str:
        return f"postgresql+psycopg2://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        import psycopg2

        for attempt in range(50):
            try:
                conn = psycopg2.connect(
                    host="127.0.0.1", port=self.port, user=USER, password=PASSWORD, dbname=database
                )
                conn.autocommit = True
                return conn
            except psycopg2.OperationalError:
                if attempt == 49:
                    raise
                time.sleep(0.1)

    def create_database(self, name: str) -> str:
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        self.databases.append(name)
        return name

    def stop(self) -> None:
        if not self.root:
            return
        data = os.path.join(self.root, "data")
        if os.path.exists(os.path.join(data, "postmaster.pid")):
            subprocess.run(
                self._cmd(os.path.join(self.bindir, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"),
                capture_output=True, timeout=60,
            )
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = ""
