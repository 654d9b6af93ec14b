"""The chat page in a real browser (headless Debian Chromium, web/tests/browser.test.js), served
with the socket.io channel next to the REST channel, as `make run` serves it.

The screenshot of the finished booking is written to reports/booking.png for the README.

The staff page (/staff on the same Rasa server, web/tests/staff.test.js): a trainee's round with the
keyboard only, axe-core (WCAG 2.1 A/AA) on every kind of page, and the team lead's chart, whose
screenshot is written to reports/staff-team.png.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid

import pytest

from channels.web_page import build as build_page
from serving import launcher
from tests.conftest import ROOT, RasaServer, free_port

pytestmark = pytest.mark.model

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
REPORTS = ROOT / "reports"


@pytest.fixture
def page_and_servers(action_server, tmp_path):
    page_port = free_port()
    origin = f"http://127.0.0.1:{page_port}"
    # The staff accounts and practice rounds live in the bookings database: the action server's.
    rasa = RasaServer(
        action_server, tmp_path, ROOT / "credentials.yml",
        env={"STADSLOKET_WEB_ORIGINS": origin,
             "STADSLOKET_BOOKINGS_FILE": action_server.env["STADSLOKET_BOOKINGS_FILE"]},
    )
    web = tmp_path / "web"
    build_page(web, socket_port=rasa.port)
    page = launcher.chat_page(page_port, web, tmp_path / "page.log").start()
    page.wait_ready(30)
    yield origin, rasa
    page.stop()
    rasa.stop()


def test_booking_in_the_browser(page_and_servers, action_server):
    """Books, then opens the manage link of the confirmation in the outbox and cancels by it."""
    origin, _ = page_and_servers
    REPORTS.mkdir(exist_ok=True)
    run = subprocess.run(
        ["node", "tests/browser.test.js"],
        cwd=ROOT / "web",
        env={**os.environ, "PAGE_URL": origin, "CHROMIUM": CHROMIUM, "SCREENSHOT": str(REPORTS / "booking.png"),
             "OUTBOX": str(action_server.outbox)},
        capture_output=True, text=True, timeout=300,
    )
    print(run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (REPORTS / "booking.png").stat().st_size > 10_000


def test_socket_io_refuses_other_origins(page_and_servers):
    origin, rasa = page_and_servers

    def handshake(from_origin: str) -> int:
        request = urllib.request.Request(
            f"{rasa.url}/socket.io/?EIO=4&transport=polling", headers={"Origin": from_origin}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    assert handshake(origin) == 200
    assert handshake("https://evil.example") == 400


def test_staff_page_in_the_browser(page_and_servers):
    _, rasa = page_and_servers
    REPORTS.mkdir(exist_ok=True)
    screenshot = REPORTS / "staff-team.png"
    screenshot.unlink(missing_ok=True)
    password = "oefen-" + uuid.uuid4().hex[:12]
    suffix = uuid.uuid4().hex[:6]  # the bookings file is shared by the whole test session
    trainee, team_lead, team = f"trainee.{suffix}", f"teamlead.{suffix}", f"team-{suffix}"
    accounts_env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "STADSLOKET_BOOKINGS_FILE": rasa.env["STADSLOKET_BOOKINGS_FILE"],
        "STADSLOKET_STAFF_PASSWORD": password,
    }
    accounts_env.pop("STADSLOKET_DATABASE_URL", None)
    for name, role in ((trainee, "trainee"), (team_lead, "teamlead")):
        made = subprocess.run(
            [sys.executable, "-m", "staff", "add-user", "--name", name, "--role", role, "--team", team],
            cwd=ROOT, env=accounts_env, capture_output=True, text=True, timeout=60,
        )
        assert made.returncode == 0, made.stdout + made.stderr
    # A citizen's conversation on this server (REST), for the review pages the team lead opens.
    for text in ("ik wil een afspraak maken", "Ik ben Lotte Vermeulen, mail lotte.vermeulen@example.be of 0470 12 34 56"):
        request = urllib.request.Request(f"{rasa.url}/webhooks/rest/webhook", method="POST",
                                         data=json.dumps({"sender": f"review-{suffix}",
                                                          "message": text}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as answered:
            assert answered.status == 200
    run = subprocess.run(
        ["node", "tests/staff.test.js"],
        cwd=ROOT / "web",
        env={**os.environ, "STAFF_URL": f"{rasa.url}/staff", "TRAINEE": trainee, "TEAMLEAD": team_lead,
             "PASSWORD": password, "CHROMIUM": CHROMIUM, "SCREENSHOT_TEAM": str(screenshot),
             # what the chat test typed (web/tests/browser.test.js): never in a transcript
             "CITIZEN_SECRETS": "Lotte|Vermeulen|lotte.vermeulen@example.be|0470 12 34 56"},
        capture_output=True, text=True, timeout=600,
    )
    print(run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr
    assert screenshot.stat().st_size > 10_000
