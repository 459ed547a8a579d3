"""A server subprocess with a log file, a readiness URL and a clean stop (context manager)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import requests

from sms_metrics.errors import LocalStackError


def wait_ready(proc: subprocess.Popen, url: str, log_path: Path, what: str, timeout: float) -> None:
    """Wait until ``url`` answers 200; a clear error with the log's tail if the process dies or stalls."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LocalStackError(f"{what} exited with code {proc.returncode}: {log_path.read_text()[-800:]}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise LocalStackError(f"{what} did not become ready on {url} within {timeout:g}s")


def with_parent_death_signal(cmd: list[str]) -> list[str]:
    """``cmd`` wrapped so the kernel sends it SIGTERM when the thread that started it dies, even by
    SIGKILL (util-linux ``setpriv --pdeathsig``; unchanged where setpriv is missing)."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--", *cmd] if setpriv else cmd


class ManagedProcess:
    proc: subprocess.Popen | None = None
    die_with_parent = False  # set for processes started from a main thread that must not outlive it

    def launch(self, cmd: list[str], log_path: Path, ready_url: str, what: str, timeout: float) -> None:
        self._log = open(log_path, "w")  # noqa: SIM115 - kept open for the process's life
        if self.die_with_parent:
            cmd = with_parent_death_signal(cmd)
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            wait_ready(self.proc, ready_url, log_path, what, timeout)
        except LocalStackError:
            self.stop()
            raise

    def start(self):
        raise NotImplementedError

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "_log", None):
            self._log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
