"""Starting and stopping the served assistants the bench measures.

Ours is started by serving.launcher, as `make run` and `make cluster` start it (`python -m
serving.action_server` behind a shared secret + `python -m serving run` with the project's
credentials.yml: REST and socket.io, and conversations in a SQL tracker store), but on free ports
and with throw-away bookings and conversations, so a bench never touches var/ nor a running
`make run`. Rate limits are
switched off: every bench client comes from 127.0.0.1 and sends far more than one citizen would. The baseline is
the stock `rasa init` assistant served by the same installation. Every process runs in its own
process group (serving.launcher.Server) and is stopped in a `finally`, so an error or Ctrl-C
leaves nothing behind.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional

from bench import ROOT
from bench.client import say
from serving.action_server import TOKEN_ENV
from serving import launcher
from serving.launcher import free_port
from serving.rate_limits import ADDRESS_ENV as RATE_ADDRESS_ENV, SENDER_ENV as RATE_SENDER_ENV

BIN = Path(sys.executable).parent
MODEL = launcher.model_path()
BASELINE_DIR = ROOT / "build" / "baseline"
START_SECONDS = launcher.RASA_START_SECONDS
POLL_SECONDS = launcher.POLL_SECONDS

# The first real question each assistant must answer to count as started: ours needs the action
# server for it, the stock bot only its model.
OUR_PROBE = ("Wanneer is het loket in Berendrecht open?", "Berendrecht")
BASELINE_PROBE = ("hello", "")

BASELINE_CREDENTIALS = """\
# Same channels as ours (REST and socket.io), with the stock socket.io channel.
rest:
socketio:
  user_message_evt: user_uttered
  bot_message_evt: bot_uttered
  session_persistence: true
"""


BENCH_TOKEN = launcher.new_token()


def _server_env(**extra: str) -> Dict[str, str]:
    """Rate limits off; the production profile only when a bench asks for it (extra)."""
    base = {k: v for k, v in os.environ.items() if k not in launcher.PROFILE_VARIABLES}
    return launcher.server_environment(
        base, LOG_LEVEL="INFO", **{TOKEN_ENV: BENCH_TOKEN, RATE_SENDER_ENV: "off", RATE_ADDRESS_ENV: "off"}, **extra)


def run_rasa(arguments: List[str], cwd: Path, log: Path, **extra_env: str) -> None:
    """A Rasa command (train, test) to its end, its output in `log`; a failure raises."""
    with open(log, "w") as out:
        subprocess.run([str(BIN / "rasa"), *arguments], cwd=cwd, env=_server_env(**extra_env),
                       stdout=out, stderr=subprocess.STDOUT, check=True)


Managed = launcher.Server


def _wait_for_port(port: int, process: Managed, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while True:
        process.check_alive()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.time() > deadline:
                raise RuntimeError(f"{process.name} does not listen on {port}")
            time.sleep(POLL_SECONDS)


# --- a served assistant --------------------------------------------------------------------------


@dataclass
class Served:
    """What the measurements need of a running assistant."""

    name: str
    url: str
    servers: Dict[str, Managed]  # "actions" (ours only) and "rasa": the measured processes
    proxy_url: Optional[str] = None
    bookings_file: Optional[Path] = None
    bookings_url: Optional[str] = None  # instead of the file: the production profile's database
    startup: Dict[str, object] = field(default_factory=dict)

    def rss_kb(self) -> Dict[str, int]:
        return {name: server.rss_kb() for name, server in self.servers.items()}


def _first_answer(served: Served, probe: str, expect: str, health: Optional[str]) -> None:
    """Polls with a real question until it gets a real answer; records when each part was up.

    Each poll uses a new conversation, so failed polls leave no state the answer depends on.
    Times count from the first server's start.
    """
    t0 = min(server.started_at for server in served.servers.values())
    deadline = time.perf_counter() + START_SECONDS
    listening = health_up = None
    attempt = 0
    while True:
        for server in served.servers.values():
            server.check_alive()
        if health and health_up is None:
            try:
                urllib.request.urlopen(health, timeout=1).read()
                health_up = time.perf_counter() - t0
            except OSError:
                pass
        attempt += 1
        reply = say(served.url, f"startup-probe-{attempt}", probe, timeout=120)
        if reply.error is None or reply.error.startswith("HTTP"):
            listening = listening or time.perf_counter() - t0
        if reply.error is None and reply.text and expect in reply.text:
            served.startup.update(
                seconds_to_first_answer=round(time.perf_counter() - t0, 2),
                seconds_to_first_http_response=round(listening, 2),
                seconds_to_action_server_health=round(health_up, 2) if health_up else None,
                probe=probe,
                polls=attempt,
            )
            return
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{served.name} gave no answer to {probe!r} in {START_SECONDS} s")
        time.sleep(POLL_SECONDS)


def _endpoints(action_url: str, label: str, workers: int) -> str:
    """The served endpoints; with several workers, conversations and locks on Redis instead."""
    text = launcher.endpoints_yaml(action_url)
    if workers > 1:
        text = text[: text.index("tracker_store:")] + _redis_stores(label)
    return text


def _redis_stores(label: str) -> str:
    """Tracker and lock store on the machine's Redis (STADSLOKET_BENCH_REDIS, host:port)."""
    host, _, port = (os.environ.get("STADSLOKET_BENCH_REDIS") or "127.0.0.1:6379").partition(":")
    prefix = "bench" + "".join(c for c in label if c.isalnum()) + str(int(time.time()))
    return (
        f"tracker_store:\n  type: redis\n  url: {host}\n  port: {port or 6379}\n"
        f"  key_prefix: {prefix}\n  record_exp: 3600\n"
        f"lock_store:\n  type: redis\n  url: {host}\n  port: {port or 6379}\n"
        f"  key_prefix: {prefix}\n"
    )


@contextmanager
def served_assistant(workdir: Path, label: str, with_proxy: bool,
                     rasa_launcher: str = "serving", workers: int = 1) -> Iterator[Served]:
    """Our assistant on free ports with a temporary bookings file; stopped on leaving.

    `rasa_launcher` "serving" starts Rasa as the launcher does (`python -m serving run`, with the
    project's fixes); "rasa" starts plain `rasa run`, for the before/after comparison. With
    `workers` > 1, Rasa runs that many Sanic worker processes, which then share conversations
    through Redis (tracker store and lock store, keys under a prefix of this run that expire).

    With `with_proxy` Rasa reaches the action server through bench.action_proxy, which times
    each action call. The proxy is up before the clock starts, so the startup time is that of
    the two servers only.
    """
    folder = workdir / label
    shutil.rmtree(folder, ignore_errors=True)  # logs of this label's previous run
    folder.mkdir(parents=True)
    bookings_dir = Path(tempfile.mkdtemp(prefix="stadsloket-bench-"))
    bookings_file = bookings_dir / "bookings.sqlite3"
    started: List[Managed] = []
    try:
        action_port, rasa_port = free_port(), free_port()
        action_url = f"http://127.0.0.1:{action_port}"
        actions = launcher.action_server(
            action_port, _server_env(STADSLOKET_BOOKINGS_FILE=str(bookings_file)), folder / "actions.log",
        )
        proxy_url = None
        endpoint = action_url
        if with_proxy:
            proxy_port = free_port()
            proxy = Managed(
                "action proxy",
                [sys.executable, "-m", "bench.action_proxy", "--target", action_url,
                 "--port", str(proxy_port)],
                _server_env(), folder / "proxy.log", proxy_port,
            )
            proxy.start()
            started.append(proxy)
            _wait_for_port(proxy_port, proxy)
            proxy_url = endpoint = f"http://127.0.0.1:{proxy_port}"
        endpoints = folder / "endpoints.yml"
        endpoints.write_text(_endpoints(endpoint, label, workers))
        rasa = launcher.rasa_server(
            rasa_port, endpoints, ROOT / "credentials.yml",
            _server_env(SANIC_WORKERS=str(workers),
                        STADSLOKET_CONVERSATIONS_FILE=str(bookings_dir / "conversations.sqlite3")),
            folder / "rasa.log", launcher=rasa_launcher,
        )
        for server in (actions, rasa):  # together, as the launcher starts them
            server.start()
            started.append(server)
        served = Served(
            "ours", f"http://127.0.0.1:{rasa_port}", {"actions": actions, "rasa": rasa},
            proxy_url, bookings_file,
        )
        _first_answer(served, *OUR_PROBE, health=f"{action_url}/health")
        yield served
    finally:
        for server in reversed(started):
            server.stop()
        shutil.rmtree(bookings_dir, ignore_errors=True)


def baseline_model() -> Optional[Path]:
    models = sorted((BASELINE_DIR / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def ensure_baseline(workdir: Path) -> Dict[str, object]:
    """The stock assistant of `rasa init`, made and trained once; reused while its model exists."""
    model = baseline_model()
    if model:
        return {"model": str(model.relative_to(ROOT)), "trained_in_this_run": False}
    shutil.rmtree(BASELINE_DIR, ignore_errors=True)
    BASELINE_DIR.mkdir(parents=True)  # rasa init --no-prompt wants the folder to exist
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "baseline-init.log"
    print(f"Creating and training the stock assistant in {BASELINE_DIR.relative_to(ROOT)} "
          f"(once; log in {log.relative_to(ROOT)})", flush=True)
    start = time.perf_counter()
    with open(log, "w") as out:
        env = _server_env()
        env.pop("PYTHONPATH")
        result = subprocess.run(
            [str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(BASELINE_DIR)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    model = baseline_model()
    if result.returncode != 0 or model is None:
        raise RuntimeError(f"rasa init failed ({result.returncode}); see {log}")
    return {
        "model": str(model.relative_to(ROOT)),
        "trained_in_this_run": True,
        "init_and_training_seconds": round(time.perf_counter() - start, 1),
    }


@contextmanager
def served_baseline(workdir: Path, label: str) -> Iterator[Served]:
    """The stock assistant under `rasa run` (REST and socket.io); it has no custom actions, so
    no action server is started for it."""
    folder = workdir / label
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    credentials = folder / "credentials.yml"
    credentials.write_text(BASELINE_CREDENTIALS)
    model = baseline_model()
    if model is None:
        raise RuntimeError("no baseline model: ensure_baseline() first")
    env = _server_env()
    env.pop("PYTHONPATH")
    port = free_port()
    rasa = Managed(
        "baseline rasa",
        [str(BIN / "rasa"), "run", "--model", str(model), "--port", str(port),
         "--credentials", str(credentials)],
        env, folder / "rasa.log", port, ready_path="/", cwd=BASELINE_DIR,
    )
    try:
        rasa.start()
        served = Served("stock", f"http://127.0.0.1:{port}", {"rasa": rasa})
        _first_answer(served, *BASELINE_PROBE, health=None)
        yield served
    finally:
        rasa.stop()
