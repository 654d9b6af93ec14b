"""A PostgreSQL and a Redis of the cluster test's own, on free ports in a temporary folder, so
that the test can restart them under load without touching the machine's (which other work
uses). Both come from Debian's packages, the same servers the machine runs. Started as
serving.launcher.Server processes, like everything else."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

from serving.launcher import Server, free_port, server_environment


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("PostgreSQL's server binaries are missing (Debian package postgresql)")
    return Path(found[-1]).parent


class _Service:
    server: Server

    def start(self) -> None:
        self.server.start()
        self.server.wait_ready()

    def stop(self) -> None:
        self.server.stop()


class PrivatePostgres(_Service):
    """initdb in a fresh folder, `postgres` on a free loopback port, trust auth. PostgreSQL
    refuses to run as root: as root it runs as the `postgres` user."""

    def __init__(self, log: Path):
        self.bin = _postgres_bin()
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="stadsloket-pg-"))
        self.data = self.folder / "data"
        self.user: Optional[str] = "postgres" if os.geteuid() == 0 else None
        os.chmod(self.folder, 0o755)
        self.data.mkdir(mode=0o700)
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.data, entry.pw_uid, entry.pw_gid)
        subprocess.run(
            [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
             "--no-sync"],
            check=True, capture_output=True, user=self.user, cwd=self.folder,
        )
        command = [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port), "-k", str(self.data),
                   "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"]
        # SIGINT is PostgreSQL's fast shutdown: sessions are ended, as a restart by the city would.
        self.server = Server("postgresql", command, server_environment(), log, self.port,
                             cwd=self.folder, stop_signal=signal.SIGINT, user=self.user, start_seconds=60)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class PrivateRedis(_Service):
    """redis-server on a free loopback port, keeping nothing on disk (like the machine's)."""

    def __init__(self, log: Path):
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.port = free_port()
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.server = Server("redis", command, server_environment(), log, self.port, start_seconds=30)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"
