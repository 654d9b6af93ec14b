"""The one way the servers are started: `make run` (one of each), `make cluster` (Rasa replicas
and action servers behind nginx), the tests and the bench all build a `Stack` here.

A `Server` is one process in its own process group, with its output in a log file (or the
terminal), stopped with its children and nothing else. A `Stack` is a topology: action servers,
Rasa replicas, optionally nginx in front and the chat page. The model path, the action server's
secret and the endpoints Rasa is served with are defined here and nowhere else.

    python -m serving.launcher run       # make run: 5005 (Rasa), 5055 (actions), 8080 (page)
    python -m serving.launcher cluster   # make cluster: nginx on 8080 in front of replicas
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional

from serving.action_server import TOKEN_ENV

ROOT = Path(__file__).resolve().parent.parent
MODEL_ENV = "STADSLOKET_MODEL"
DEFAULT_MODEL = "models/stadsloket.tar.gz"
CREDENTIALS = ROOT / "credentials.yml"
NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "stadsloket.conf.template"
# Each Rasa replica puts this name in front of the socket.io session ids it issues, so that nginx
# can send a session's later requests to the replica that holds it (channels/web_socket.py).
REPLICA_ENV = "STADSLOKET_REPLICA"
# The variables of the production profile: a server started here takes them from the caller's
# environment only when the stack is told to, never by accident (a test on SQLite stays there).
PROFILE_VARIABLES = ("STADSLOKET_DATABASE_URL", "STADSLOKET_CONVERSATIONS_URL", "STADSLOKET_REDIS_URL")
# Behind nginx: the citizen's address is the one nginx puts in X-Forwarded-For; a replica killed
# while it holds a conversation's turn (lock ticket) holds it up 20 s, not Rasa's default 60 s.
BALANCED_ENV = {"STADSLOKET_PROXIES_COUNT": "1", "TICKET_LOCK_LIFETIME": "20"}
RASA_START_SECONDS = 600  # a loaded 2-core machine can take minutes to load the model
POLL_SECONDS = 0.25


def model_path() -> Path:
    path = Path(os.environ.get(MODEL_ENV) or DEFAULT_MODEL)
    return path if path.is_absolute() else ROOT / path


def new_token() -> str:
    return secrets.token_urlsafe(32)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_environment(base: Optional[Mapping[str, str]] = None, **extra: str) -> Dict[str, str]:
    """What every server process runs with; at DEBUG Rasa logs every slot value (names, contact
    details), so INFO unless the caller chose otherwise."""
    env = dict(os.environ if base is None else base)
    env.update(PYTHONPATH=str(ROOT), RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2",
               SQLALCHEMY_SILENCE_UBER_WARNING="1")
    env.setdefault("LOG_LEVEL", "INFO")
    env.update(extra)
    return env


# --- one process --------------------------------------------------------------------------------


def _descendants(pid: int) -> List[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    queue.extend(int(child) for child in children.read().split())
        except OSError:
            pass
    return found


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Server:
    """A server process in its own process group. `ready_url` answering (any HTTP status) means
    it is up; without one, its port accepting connections does."""

    def __init__(self, name: str, command: List[str], env: Dict[str, str], log: Optional[Path],
                 port: int, ready_path: Optional[str] = None, cwd: Path = ROOT,
                 start_seconds: float = 120, stop_signal: int = signal.SIGTERM, user: Optional[str] = None):
        self.name, self.command, self.env, self.log, self.cwd = name, command, env, log, cwd
        self.port, self.ready_path, self.start_seconds = port, ready_path, start_seconds
        self.stop_signal, self.user = stop_signal, user
        self.process: Optional[subprocess.Popen] = None
        self.started_at = 0.0
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self) -> "Server":
        out = open(self.log, "a") if self.log else None
        try:
            self.started_at = time.perf_counter()
            self.process = subprocess.Popen(
                self.command, cwd=self.cwd, env=self.env, stdout=out, stderr=subprocess.STDOUT if out else None,
                stdin=subprocess.DEVNULL, start_new_session=True, user=self.user,
            )
            self.starts += 1
        finally:
            if out:
                out.close()
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def check_alive(self) -> None:
        if not self.alive():
            tail = self.log.read_text(errors="replace")[-3000:] if self.log and self.log.exists() else ""
            code = None if self.process is None else self.process.returncode
            raise RuntimeError(f"{self.name} exited with {code}; end of its log:\n{tail}")

    def answers(self) -> bool:
        if self.ready_path is None:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                return False
        try:
            urllib.request.urlopen(self.url + self.ready_path, timeout=2).read()
            return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    def wait_ready(self, seconds: Optional[float] = None) -> float:
        """Seconds from start until it answered; raises with its log if it died or never did."""
        deadline = time.perf_counter() + (seconds or self.start_seconds)
        while not self.answers():
            self.check_alive()
            if time.perf_counter() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} did not answer on port {self.port}")
            time.sleep(POLL_SECONDS)
        return time.perf_counter() - self.started_at

    def signal(self, sig: int) -> None:
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """The crash of a test: SIGKILL to the whole group, no goodbye."""
        if self.process is not None:
            self.signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """The process, then whatever of its group is left (nginx's workers after their master)."""
        if self.process is None:
            return
        if self.alive():
            for sig, wait in ((self.stop_signal, 30), (signal.SIGKILL, 10)):
                self.signal(sig)
                try:
                    self.process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self.signal(signal.SIGKILL)

    def rss_kb(self) -> int:
        """Resident memory of the process and its children (shared pages counted per process)."""
        return sum(_status_kb(pid, "VmRSS") for pid in _descendants(self.pid))

    def peak_rss_kb(self) -> int:
        return _status_kb(self.pid, "VmHWM")

    def cpu_seconds(self) -> float:
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in _descendants(self.pid):
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
            except (OSError, IndexError, ValueError):
                pass
        return total / ticks


# --- the servers --------------------------------------------------------------------------------


ENDPOINTS_TEMPLATE = """\
action_endpoint:
  url: "{action_url}/webhook"
  headers:
    Authorization: Bearer ${{{token_env}}}
tracker_store:
  type: serving.conversation_store.ConversationStore
lock_store:
  type: serving.lock_store.SharedLockStore
"""


def endpoints_yaml(action_url: str) -> str:
    """endpoints.yml for an action server elsewhere than 5055; the rest as in the served file."""
    return ENDPOINTS_TEMPLATE.format(action_url=action_url.rstrip("/"), token_env=TOKEN_ENV)


def action_server(port: int, env: Dict[str, str], log: Optional[Path], name: str = "action server") -> Server:
    command = [sys.executable, "-m", "serving.action_server", "--actions", "actions", "--port", str(port)]
    return Server(name, command, env, log, port, ready_path="/health/live", start_seconds=120)


def rasa_server(port: int, endpoints: Path, credentials: Path, env: Dict[str, str], log: Optional[Path],
                name: str = "rasa", model: Optional[Path] = None, launcher: str = "serving",
                cwd: Path = ROOT, interface: str = "127.0.0.1") -> Server:
    """`python -m serving run` (Rasa with the project's fixes), or plain `rasa run` for the bench's
    before/after; Rasa listens once the model is loaded. On loopback unless told otherwise: behind
    nginx a replica must not be reachable around it (it believes X-Forwarded-For)."""
    program = [sys.executable, "-m", "serving"] if launcher == "serving" else [str(Path(sys.executable).parent / "rasa")]
    command = [*program, "run", "--model", str(model or model_path()), "--port", str(port),
               "--interface", interface, "--endpoints", str(endpoints), "--credentials", str(credentials)]
    return Server(name, command, env, log, port, ready_path="/", cwd=cwd, start_seconds=RASA_START_SECONDS)


def chat_page(port: int, folder: Path, log: Optional[Path]) -> Server:
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(folder)]
    return Server("chat page", command, server_environment(), log, port)


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        raise RuntimeError("nginx is not installed: `make cluster` installs Debian's nginx-light")
    return found


def nginx_config(public_port: int, rasa_ports: List[int], action_port: Optional[int],
                 action_ports: List[int], prefix: Path, web: Optional[Path]) -> str:
    """The balancer's configuration from deploy/nginx/stadsloket.conf.template."""
    replicas = [f"r{index + 1}" for index in range(len(rasa_ports))]
    values = {
        "prefix": str(prefix),
        "public_port": str(public_port),
        "rasa_servers": "".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;\n" for port in rasa_ports),
        "replica_upstreams": "".join(
            f"  upstream rasa_{name} {{\n    server 127.0.0.1:{port};\n  }}\n"
            for name, port in zip(replicas, rasa_ports)
        ),
        "replica_routes": "".join(f"    \"~^{name}\\.\" rasa_{name};\n" for name in replicas),
        "web": str(web or prefix / "no-page"),
        "action_block": "",
        # Started by root (CI, a container), nginx's workers would become `nobody`, who cannot read
        # the page in a private build folder; this local balancer listens on loopback only.
        "user": "user root;" if os.geteuid() == 0 else "",
    }
    if action_port is not None:
        servers = "".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=3s;\n" for port in action_ports)
        values["action_block"] = (
            "  upstream actions {\n" + servers + "  }\n"
            "  # Internal: Rasa's calls to the action servers, spread over them; loopback only.\n"
            "  server {\n"
            f"    listen 127.0.0.1:{action_port};\n"
            "    access_log off;\n"
            "    location / {\n"
            "      proxy_pass http://actions;\n"
            "      proxy_http_version 1.1;\n"
            "      proxy_set_header Connection \"\";\n"
            "      proxy_next_upstream error timeout;\n"
            "      proxy_read_timeout 30s;\n"
            "    }\n"
            "  }\n"
        )
    text = NGINX_TEMPLATE.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def nginx(config: Path, prefix: Path, port: int) -> Server:
    command = [nginx_binary(), "-p", str(prefix), "-e", str(prefix / "logs" / "error.log"),
               "-c", str(config), "-g", "daemon off;"]
    return Server("nginx", command, server_environment(), prefix / "logs" / "nginx.out", port, start_seconds=30)


# --- a topology ---------------------------------------------------------------------------------


@dataclass
class Stack:
    """Action servers, Rasa replicas and, with `balancer`, nginx in front; with `page`, the chat
    page (served by nginx when there is one). Ports are free ones unless given. `env` is added
    to every server's environment; the production profile's variables reach the servers only
    through it (or with `inherit_profile`)."""

    folder: Path
    replicas: int = 1
    action_servers: int = 1
    balancer: bool = False
    page: Optional[Path] = None
    env: Dict[str, str] = field(default_factory=dict)
    inherit_profile: bool = False
    credentials: Path = CREDENTIALS
    launcher: str = "serving"
    rasa_ports: List[int] = field(default_factory=list)
    action_ports: List[int] = field(default_factory=list)
    public_port: Optional[int] = None
    action_port: Optional[int] = None
    log_to_files: bool = True
    rasa_interface: str = "127.0.0.1"  # make run: every interface (its REST channel is the public door)
    token: str = field(default_factory=lambda: os.environ.get(TOKEN_ENV) or new_token())

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.rasa_ports = self.rasa_ports or [free_port() for _ in range(self.replicas)]
        self.action_ports = self.action_ports or [free_port() for _ in range(self.action_servers)]
        if self.balancer:
            self.public_port = self.public_port or free_port()
            if self.action_servers > 1:
                self.action_port = self.action_port or free_port()
        self.actions: List[Server] = []
        self.rasas: List[Server] = []
        self.nginx: Optional[Server] = None
        self.chat_page: Optional[Server] = None
        self._build()

    # where things are
    @property
    def action_url(self) -> str:
        port = self.action_port if self.action_port else self.action_ports[0]
        return f"http://127.0.0.1:{port}"

    @property
    def url(self) -> str:
        """Where citizens' messages go: nginx when there is one, else the (first) replica."""
        return f"http://127.0.0.1:{self.public_port if self.balancer else self.rasa_ports[0]}"

    @property
    def servers(self) -> List[Server]:
        return [*self.actions, *self.rasas, *([self.nginx] if self.nginx else []),
                *([self.chat_page] if self.chat_page else [])]

    def _log(self, name: str) -> Optional[Path]:
        return self.folder / f"{name}.log" if self.log_to_files else None

    def _environment(self) -> Dict[str, str]:
        base = dict(os.environ)
        if not self.inherit_profile:
            for variable in PROFILE_VARIABLES:
                base.pop(variable, None)
        env = server_environment(base, **{TOKEN_ENV: self.token})
        if self.balancer:
            env.update(BALANCED_ENV)
        env.update(self.env)
        return env

    def _build(self) -> None:
        env = self._environment()
        for index, port in enumerate(self.action_ports):
            name = "actions" if self.action_servers == 1 else f"actions-{index + 1}"
            self.actions.append(action_server(port, env, self._log(name), name=name))
        endpoints = self.folder / "endpoints.yml"
        endpoints.write_text(endpoints_yaml(self.action_url))
        for index, port in enumerate(self.rasa_ports):
            name = "rasa" if self.replicas == 1 else f"rasa-{index + 1}"
            replica_env = dict(env)
            if self.balancer:
                replica_env[REPLICA_ENV] = f"r{index + 1}"
            self.rasas.append(rasa_server(port, endpoints, self.credentials, replica_env, self._log(name),
                                          name=name, launcher=self.launcher, interface=self.rasa_interface))
        if self.balancer:
            prefix = self.folder / "nginx"
            (prefix / "logs").mkdir(parents=True, exist_ok=True)
            config = prefix / "nginx.conf"
            config.write_text(nginx_config(self.public_port, self.rasa_ports, self.action_port,
                                           self.action_ports, prefix, self.page))
            self.nginx = nginx(config, prefix, self.public_port)
        elif self.page is not None:
            self.chat_page = chat_page(self.public_port or 8080, self.page, self._log("page"))

    def start(self) -> Dict[str, float]:
        """Starts everything at once (the replicas load their models side by side) and waits
        until each answers; returns each server's seconds to answer. On failure, stops all."""
        try:
            for server in self.servers:
                server.start()
            return {server.name: round(server.wait_ready(), 2) for server in self.servers}
        except BaseException:
            self.stop()
            raise

    def restart(self, server: Server) -> float:
        server.stop()
        server.start()
        return server.wait_ready()

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()

    def log_files(self) -> List[Path]:
        return sorted(path for path in self.folder.rglob("*") if path.is_file() and path.suffix in (".log", ".out"))

    def __enter__(self) -> "Stack":
        self.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


# --- the command line ---------------------------------------------------------------------------


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _serve_forever(stack: Stack, supervise: bool) -> int:
    """Until Ctrl-C, SIGTERM or SIGHUP. Without `supervise`, a server that exits ends everything
    (make run); with it, a server that exits is started again, as a cluster's orchestrator would
    (make cluster)."""
    try:
        while True:
            for server in stack.servers:
                if not server.alive():
                    if not supervise:
                        print(f"{server.name} stopped (exit code {server.process.returncode}); stopping all.",
                              file=sys.stderr)
                        return 1
                    print(f"{server.name} exited; starting it again", file=sys.stderr)
                    server.start()
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    return 0


def _started(stack: Stack) -> bool:
    """False when Ctrl-C came while the servers were starting (they are stopped then)."""
    try:
        stack.start()
        return True
    except KeyboardInterrupt:
        return False


def _credentials(folder: Path) -> Path:
    """credentials.yml with the messaging channels whose variables are set (channels.credentials)."""
    from channels.credentials import compose

    text, _ = compose(os.environ)
    target = folder / "credentials.yml"
    target.write_text(text)
    return target


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m serving.launcher")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="one action server (5055), one Rasa server (5005), the chat page (8080)")
    cluster = commands.add_parser("cluster", help="replicas behind nginx on loopback")
    cluster.add_argument("--replicas", type=int, default=2)
    cluster.add_argument("--action-servers", type=int, default=2)
    cluster.add_argument("--port", type=int, default=8080, help="nginx: chat page, socket.io, REST")
    args = parser.parse_args(argv)
    # The servers run in process groups of their own, which a signal to ours does not reach:
    # SIGTERM and SIGHUP stop them like Ctrl-C, also while the model is still loading.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)

    os.environ.setdefault(TOKEN_ENV, new_token())
    build = ROOT / "build"
    if args.command == "run":
        folder = build / "run"
        folder.mkdir(parents=True, exist_ok=True)
        stack = Stack(folder, page=build / "web", inherit_profile=True, credentials=_credentials(folder),
                      rasa_ports=[5005], action_ports=[5055], public_port=8080, log_to_files=False,
                      rasa_interface="0.0.0.0")
        print("Starting the assistant (the model loads in about half a minute).")
        if not _started(stack):
            return 130
        print("  chat page:    http://localhost:8080\n"
              "  REST channel: http://localhost:5005/webhooks/rest/webhook\n"
              "  staff page:   http://localhost:5005/staff (accounts: make staff-user NAME=... ROLE=...)\n"
              "  Ctrl-C stops everything.", flush=True)
        return _serve_forever(stack, supervise=False)

    from serving.profile import ensure_database, production_problems

    problems = production_problems(os.environ)
    if problems:
        print("make cluster runs the production profile:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 2
    if ensure_database(os.environ["STADSLOKET_DATABASE_URL"]):
        print("created the database of STADSLOKET_DATABASE_URL")
    folder = build / "cluster"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    page = folder / "web"
    from channels.web_page import build as build_page

    build_page(page, socket_port=args.port)
    origins = f"http://localhost:{args.port},http://127.0.0.1:{args.port}"
    stack = Stack(folder, replicas=args.replicas, action_servers=args.action_servers, balancer=True, page=page,
                  inherit_profile=True, credentials=_credentials(folder), public_port=args.port,
                  action_port=5055 if args.action_servers > 1 else None,
                  env={"STADSLOKET_WEB_ORIGINS": os.environ.get("STADSLOKET_WEB_ORIGINS") or origins})
    print(f"Starting {args.replicas} Rasa replicas and {args.action_servers} action servers behind nginx; "
          f"logs in {folder.relative_to(ROOT)}/", flush=True)
    if not _started(stack):
        return 130
    print(f"  chat page and channels: http://localhost:{args.port}\n"
          + "".join(f"  {s.name}: {s.url} (health, metrics: loopback)\n" for s in stack.rasas + stack.actions)
          + "  Ctrl-C stops everything.", flush=True)
    return _serve_forever(stack, supervise=True)


if __name__ == "__main__":
    sys.exit(main())
