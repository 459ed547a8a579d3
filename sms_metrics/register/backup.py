"""Backups of the register, consistent while it is written: SQLite through its online backup API (a
snapshot of one moment, copied page by page without stopping writers), PostgreSQL through ``pg_dump``
(one transaction snapshot). ``restore`` puts a backup back and runs the migrations."""

from __future__ import annotations

import glob
import logging
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from sms_metrics.errors import InputError, SmsError
from sms_metrics.register.db import make_engine
from sms_metrics.register.migrations import upgrade

log = logging.getLogger(__name__)
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupFailed(SmsError):
    """A backup or a restore could not be made; nothing was replaced."""

    exit_code = 8


@dataclass
class Done:
    path: Path
    bytes: int
    engine: str


def _sqlite_path(url: str) -> Path:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise InputError(f"{url}: a backup needs a SQLite file, not an in-memory database")
    return Path(path)


def _libpq(url: str) -> tuple[str, dict]:
    """The libpq form of a SQLAlchemy PostgreSQL URL and the environment holding its password (so the
    password never shows in a process list)."""
    u = make_url(url)
    env = {**os.environ, **({"PGPASSWORD": u.password} if u.password else {})}
    return u.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _pg_tool(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name)]
    if not found[-1]:
        raise BackupFailed(f"{name} not found: install the PostgreSQL client (Debian package postgresql-client)")
    return found[-1]


def backup(url: str, out: Path) -> Done:
    """Write a consistent copy of the register at ``url`` to ``out`` (replaced only when complete)."""
    out = Path(out)
    tmp = out.with_name(out.name + ".partial")
    tmp.unlink(missing_ok=True)
    if url.startswith("sqlite"):
        src = sqlite3.connect(_sqlite_path(url), timeout=30)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst, pages=4096)  # each step holds the read lock briefly; writers go on between steps
            ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dst.close()
            src.close()
        if ok != "ok":
            tmp.unlink(missing_ok=True)
            raise BackupFailed(f"the copy failed its integrity check: {ok}")
        kind = "sqlite"
    elif url.startswith("postgresql"):
        dsn, env = _libpq(url)
        cmd = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={tmp}", dsn]
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if done.returncode:
            tmp.unlink(missing_ok=True)
            raise BackupFailed(f"pg_dump failed: {done.stderr.strip()[-400:]}")
        kind = "postgresql"
    else:
        raise InputError(f"cannot back up {make_url(url).drivername} databases: use SQLite or PostgreSQL")
    os.replace(tmp, out)
    return Done(out, out.stat().st_size, kind)


def restore(url: str, source: Path) -> Done:
    """Replace the register at ``url`` by the backup ``source``, then migrate it to this version's schema."""
    source = Path(source)
    if not source.is_file():
        raise InputError(f"{source}: no such backup file")
    head = source.read_bytes()[:16]
    if url.startswith("sqlite"):
        if not head.startswith(SQLITE_MAGIC):
            raise InputError(f"{source}: not a SQLite backup (the register is SQLite)")
        src = sqlite3.connect(source)
        dst = sqlite3.connect(_sqlite_path(url), timeout=30)
        try:
            src.backup(dst)  # page by page under the destination's write lock: readers see old or new
        finally:
            dst.close()
            src.close()
    elif url.startswith("postgresql"):
        if not head.startswith(PG_MAGIC):
            raise InputError(f"{source}: not a pg_dump custom-format backup (the register is PostgreSQL)")
        dsn, env = _libpq(url)
        cmd = [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={dsn}",
        ]
        done = subprocess.run([*cmd, str(source)], capture_output=True, text=True, env=env)
        if done.returncode:
            raise BackupFailed(f"pg_restore failed (nothing was changed): {done.stderr.strip()[-400:]}")
    else:
        raise InputError(f"cannot restore into {make_url(url).drivername} databases")
    upgrade(make_engine(url))
    return Done(source, source.stat().st_size, "sqlite" if url.startswith("sqlite") else "postgresql")
