"""A throwaway PostgreSQL server on 127.0.0.1 (Debian package ``postgresql``), for tests and
benchmarks. PostgreSQL refuses to run as root, so as root it runs as the ``postgres`` user."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sms_metrics.errors import LocalStackError
from sms_metrics.localstack.prometheus import free_port


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path:
        return path
    raise LocalStackError(f"{name} not found: install the Debian package postgresql (apt-get install -y postgresql)")


class LocalPostgres:
    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="sms-pg-", dir="/tmp"))
        self.as_root = hasattr(os, "geteuid") and os.geteuid() == 0
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *cmd: str) -> None:
        full = ["runuser", "-u", "postgres", "--", *cmd] if self.as_root else list(cmd)
        try:
            done = subprocess.run(full, capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired as exc:
            raise LocalStackError(f"{' '.join(cmd[:2])} did not finish in 120 s") from exc
        if done.returncode:
            raise LocalStackError(f"{' '.join(cmd[:2])} failed: {(done.stderr or done.stdout).strip()[-400:]}")

    def start(self) -> LocalPostgres:
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        data = self.dir / "data"
        self._run(_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        self._run(
            _bin("pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(self.dir / "log"),
            "-w",
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        )
        return self

    def restart(self) -> None:
        """Stop the server at once (as a crash would) and start it again. The log file keeps the new
        server's output off this process's pipes (otherwise the call waits for the server to exit)."""
        data = str(self.dir / "data")
        self._run(_bin("pg_ctl"), "-D", data, "-l", str(self.dir / "log"), "-m", "immediate", "-w", "restart")

    def stop(self) -> None:
        with contextlib.suppress(LocalStackError):
            self._run(_bin("pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database (a copy of ``template`` when given, which must have no open connections)."""
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
