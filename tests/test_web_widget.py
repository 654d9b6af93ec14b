"""The chat page in a real browser (headless Debian Chromium, web/tests/browser.test.js), served
with the socket.io channel next to the REST channel, as `make run` serves it.

The screenshot of the finished booking is written to reports/booking.png for the README.
"""
from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from channels.web_page import render
from tests.conftest import ROOT, RasaServer, free_port

pytestmark = pytest.mark.model

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
REPORTS = ROOT / "reports"


@pytest.fixture
def page_and_servers(action_server, tmp_path):
    page_port = free_port()
    origin = f"http://127.0.0.1:{page_port}"
    rasa = RasaServer(
        action_server, tmp_path, ROOT / "credentials.yml", env={"STADSLOKET_WEB_ORIGINS": origin}
    )
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text(render(socket_port=rasa.port), encoding="utf-8")
    (web / "webchat.js").write_bytes((ROOT / "build" / "web" / "webchat.js").read_bytes())
    page = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(page_port), "--bind", "127.0.0.1", "--directory", str(web)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    yield origin, rasa
    page.terminate()
    rasa.stop()


def test_booking_in_the_browser(page_and_servers):
    origin, _ = page_and_servers
    REPORTS.mkdir(exist_ok=True)
    run = subprocess.run(
        ["node", "tests/browser.test.js"],
        cwd=ROOT / "web",
        env={**os.environ, "PAGE_URL": origin, "CHROMIUM": CHROMIUM, "SCREENSHOT": str(REPORTS / "booking.png")},
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
