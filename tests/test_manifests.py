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
        for variable in container.get("env", []):
            assert variable["name"] in rasa_reads or f'"{variable["name"]}"' in code, (name, variable["name"])


def test_every_command_runs_a_module_that_exists():
    modules = set()
    for _, _, container in _containers():
        modules.update(re.findall(r"python -m ([\w.]+)", " ".join(container["command"])))
    assert {"serving", "serving.action_server", "bookings", "serving.conversation_store", "staff"} <= modules
    for module in modules:
        assert importlib.util.find_spec(module) is not None, module


def test_probes_use_the_servers_health_routes():
    from serving import operations

    routes = set(re.findall(r'"(/health/\w+)"', Path(operations.__file__).read_text()))
    probes = 0
    for name, _, container in _containers():
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


def test_no_secret_is_written_in_the_manifests():
    for name, document in _documents():
        assert document["kind"] != "Secret", name
    for name, _, container in _containers():
        for variable in container.get("env", []):
            if re.search(r"URL|TOKEN|SECRET|PASSWORD", variable["name"]):
                assert "valueFrom" in variable, (name, variable["name"])
