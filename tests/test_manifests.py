"""The Kubernetes manifests (deploy/kubernetes): valid against the Kubernetes API schemas
(kubernetes-validate, strict, in its own venv built by `make manifests`), and in agreement with
the code: every variable they set is one the code reads, every command a module that exists,
every probe a route the servers have, the endpoints Rasa would read those of the production
profile."""
from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

MANIFESTS = sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml"))
VALIDATOR = ROOT / "build" / "manifest-tools" / "bin" / "kubernetes-validate"
CODE_DIRS = ("serving", "channels", "bookings", "staff", "actions", "service_catalogue")


def _validate(paths) -> subprocess.CompletedProcess:
    if not VALIDATOR.exists():
        pytest.fail(f"{VALIDATOR} is missing: `make manifests` (make test does it) builds it")
    return subprocess.run([str(VALIDATOR), "--strict", "--quiet", *map(str, paths)],
                          capture_output=True, text=True, timeout=300)


def _documents():
    for path in MANIFESTS:
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                yield path.name, document


def _containers():
    for name, document in _documents():
        spec = document.get("spec", {})
        pod = spec.get("template", {}).get("spec") or spec.get("jobTemplate", {}).get("spec", {}).get(
            "template", {}).get("spec")
        for container in (pod or {}).get("containers", []):
            yield name, document, container


def test_the_manifests_are_valid_kubernetes():
    assert len(MANIFESTS) >= 4
    result = _validate(MANIFESTS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_validator_refuses_a_broken_manifest(tmp_path):
    broken = (ROOT / "deploy" / "kubernetes" / "actions.yaml").read_text()
    broken = broken.replace("replicas: 2", "replicas: two", 1).replace("containerPort:", "containerPortt:", 1)
    (tmp_path / "broken.yaml").write_text(broken)
    assert _validate([tmp_path / "broken.yaml"]).returncode != 0


def test_every_variable_set_is_read_by_the_code():
    code = "\n".join(p.read_text() for d in CODE_DIRS for p in (ROOT / d).rglob("*.py"))
    rasa_reads = {"TICKET_LOCK_LIFETIME", "LOG_LEVEL", "RASA_TELEMETRY_ENABLED"}
    for name, _, container in _containers():
        if container["image"].startswith("nginx:"):
            continue  # the router: variables of the nginx image (test_the_router_configuration_...)
        for variable in container.get("env", []):
            assert variable["name"] in rasa_reads or f'"{variable["name"]}"' in code, (name, variable["name"])


def test_every_command_runs_a_module_that_exists():
    modules = set()
    for _, _, container in _containers():
        modules.update(re.findall(r"python -m ([\w.]+)", " ".join(container.get("command", []))))
    assert {"serving", "serving.action_server", "bookings", "serving.conversation_store", "staff",
            "channels.credentials"} <= modules
    for module in modules:
        assert importlib.util.find_spec(module) is not None, module


def test_probes_use_the_servers_health_routes():
    from serving import operations

    routes = set(re.findall(r'"(/health/\w+)"', Path(operations.__file__).read_text()))
    router = next(d for _, d in _documents() if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "stadsloket-router")
    probes = 0
    for name, _, container in _containers():
        if container["image"].startswith("nginx:"):
            assert "location = /healthz" in router["data"]["default.conf.template"]
            continue
        ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
        for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
            probe = container.get(kind)
            if probe:
                probes += 1
                assert probe["httpGet"]["path"] in routes, (name, kind)
                assert probe["httpGet"]["port"] in ports, (name, kind)
    assert probes >= 5


def test_rasa_in_the_cluster_reads_the_production_profiles_endpoints(tmp_path, monkeypatch):
    from rasa.core.utils import AvailableEndpoints

    config = next(d for _, d in _documents() if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "stadsloket-endpoints")
    (tmp_path / "endpoints.yml").write_text(config["data"]["endpoints.yml"])
    monkeypatch.setenv("STADSLOKET_ACTION_TOKEN", "a-secret-from-the-secret")
    endpoints = AvailableEndpoints.read_endpoints(str(tmp_path / "endpoints.yml"))
    assert endpoints.action.url == "http://stadsloket-actions:5055/webhook"
    assert endpoints.action.headers == {"Authorization": "Bearer a-secret-from-the-secret"}
    assert endpoints.tracker_store.type == "serving.conversation_store.ConversationStore"
    assert endpoints.lock_store.type == "serving.lock_store.SharedLockStore"
    services = {d["metadata"]["name"]: d for _, d in _documents() if d["kind"] == "Service"}
    assert services["stadsloket-actions"]["spec"]["ports"][0]["port"] == 5055


def _router_config(tmp_path: Path, namespace: str = "stadsloket") -> Path:
    """The router's template rendered as the nginx image does (envsubst of the variables set),
    inside a minimal nginx.conf."""
    config = next(d for _, d in _documents() if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "stadsloket-router")
    rendered = config["data"]["default.conf.template"]
    for name, value in {"NGINX_LOCAL_RESOLVERS": "127.0.0.1", "POD_NAMESPACE": namespace}.items():
        rendered = rendered.replace("${" + name + "}", value)
    assert "${" not in rendered
    (tmp_path / "logs").mkdir()
    (tmp_path / "default.conf").write_text(rendered)
    main = tmp_path / "nginx.conf"
    main.write_text(f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n  include {tmp_path}/default.conf;\n}}\n")
    return main


def test_the_router_configuration_is_valid_nginx(tmp_path):
    from serving.launcher import nginx_binary

    main = _router_config(tmp_path)
    result = subprocess.run([nginx_binary(), "-t", "-p", str(tmp_path), "-e", str(tmp_path / "logs" / "error.log"),
                             "-c", str(main)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "default.conf").read_text()
    # socket.io to the pod named in the session id, under the StatefulSet's headless Service.
    sets = {d["metadata"]["name"]: d for _, d in _documents() if d["kind"] == "StatefulSet"}
    headless = sets["stadsloket-rasa"]["spec"]["serviceName"]
    assert f"$pod.{headless}.stadsloket.svc.cluster.local" in text
    assert "stadsloket-rasa-[0-9]+" in text
    ingress = next(d for _, d in _documents() if d["kind"] == "Ingress")
    backends = {p["backend"]["service"]["name"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]}
    assert backends == {"stadsloket-router"}


def test_the_replicas_name_their_sessions_after_their_pod():
    rasa = next(c for _, d, c in _containers() if d["kind"] == "StatefulSet")
    env = {v["name"]: v for v in rasa["env"]}
    assert env["STADSLOKET_REPLICA"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert env["STADSLOKET_PROXIES_COUNT"]["value"] == "2"  # the ingress and the router


def test_the_staff_network_is_let_in_where_the_staff_page_expects_it():
    rasa = next(c for _, d, c in _containers() if d["kind"] == "StatefulSet")
    staff = next(v["value"] for v in rasa["env"] if v["name"] == "STADSLOKET_STAFF_NETWORKS")
    policy = next(d for _, d in _documents() if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "stadsloket-rasa")
    blocks = {p["ipBlock"]["cidr"] for rule in policy["spec"]["ingress"] for p in rule["from"] if "ipBlock" in p}
    assert set(staff.split(",")) == blocks


def test_no_secret_is_written_in_the_manifests():
    for name, document in _documents():
        assert document["kind"] != "Secret", name
    for name, _, container in _containers():
        for variable in container.get("env", []):
            if re.search(r"URL|TOKEN|SECRET|PASSWORD", variable["name"]):
                assert "valueFrom" in variable, (name, variable["name"])
