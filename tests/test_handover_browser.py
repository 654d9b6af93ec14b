"""The live handover end to end in two headless Chromium contexts (web/tests/handover.test.js):
a citizen on the chat page asks for a person, a staff member takes the conversation on the staff
page, two messages go each way, the staff member hands back, and the assistant answers again
(and did not in between). Servers as served: the action server and `python -m serving run`.

The servers read a copy of the catalogue whose staffed hours cover every moment of every day
(holidays cleared), so the test runs whatever day and hour CI runs it; the hours themselves are
tested with a fixed clock in tests/test_handover.py and tests/test_staffed_hours.py.
"""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
import yaml

from channels.web_page import build as build_page
from service_catalogue.loader import DEFAULT_PATH, ENV_VAR
from serving import launcher
from tests.conftest import ROOT, ActionServer, RasaServer, free_port

pytestmark = pytest.mark.model
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
REPORTS = ROOT / "reports"


@pytest.fixture
def always_staffed(tmp_path):
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    data["contact_centre"]["staffed_hours"].update(
        days=["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"],
        start="00:00", end="23:59:59")
    data["holidays"].update(fixed=[], easter_offsets=[])
    path = tmp_path / "services.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def servers(tmp_path, always_staffed):
    page_port = free_port()
    origin = f"http://127.0.0.1:{page_port}"
    bookings = tmp_path / "bookings.sqlite3"
    actions = ActionServer(bookings, tmp_path / "action_server.log", env={ENV_VAR: str(always_staffed)})
    actions.start()
    rasa = RasaServer(actions, tmp_path, ROOT / "credentials.yml",
                      env={"STADSLOKET_WEB_ORIGINS": origin, "STADSLOKET_BOOKINGS_FILE": str(bookings),
                           ENV_VAR: str(always_staffed)})
    web = tmp_path / "web"
    build_page(web, socket_port=rasa.port)
    page = launcher.chat_page(page_port, web, tmp_path / "page.log").start()
    page.wait_ready(30)
    yield origin, rasa, actions
    page.stop()
    rasa.stop()
    actions.stop()


def test_handover_in_two_browsers(servers):
    origin, rasa, actions = servers
    REPORTS.mkdir(exist_ok=True)
    password = "overname-" + uuid.uuid4().hex[:12]
    made = subprocess.run(
        [sys.executable, "-m", "staff", "add-user", "--name", "sofie.staff", "--role", "trainee", "--team", "contact",
         "--display-name", "Sofie Peeters"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT), "STADSLOKET_BOOKINGS_FILE": actions.env["STADSLOKET_BOOKINGS_FILE"],
             "STADSLOKET_STAFF_PASSWORD": password, "STADSLOKET_DATABASE_URL": ""},
    )
    assert made.returncode == 0, made.stdout + made.stderr
    run = subprocess.run(
        ["node", "tests/handover.test.js"], cwd=ROOT / "web", capture_output=True, text=True, timeout=600,
        env={**os.environ, "PAGE_URL": origin, "STAFF_URL": f"{rasa.url}/staff", "STAFF": "sofie.staff",
             "PASSWORD": password, "CHROMIUM": CHROMIUM, "SCREENSHOTS": str(REPORTS / "handover")},
    )
    print(run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr
    for name in ("queue", "staff-talking", "citizen-talking"):
        assert (REPORTS / f"handover-{name}.png").stat().st_size > 10_000, name
