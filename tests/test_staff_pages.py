"""The staff page on the Rasa server as it is served (every channel of credentials.yml, the HTTP
guard), over real HTTP: sign-in, sessions, CSRF, slowing down guessers, the practice round, the
team lead's view, and the wall between the public channels and the staff side."""
from __future__ import annotations

import asyncio
import datetime as dt
import re

import aiohttp
import socketio
import sqlalchemy as sa

from staff.accounts import create_account
from staff.store import StaffStore, sessions
from tests.test_channel_security import Served

PASSWORD = "oefenen-is-fijn-42"


def _store(tmp_path, monkeypatch) -> StaffStore:
    path = tmp_path / "bookings.sqlite3"
    monkeypatch.delenv("STADSLOKET_DATABASE_URL", raising=False)
    monkeypatch.setenv("STADSLOKET_BOOKINGS_FILE", str(path))
    store = StaffStore(f"sqlite:///{path}")
    create_account(store, "an", "trainee", "centrum", PASSWORD, "An")
    create_account(store, "bart", "trainee", "centrum", PASSWORD, "Bart")
    create_account(store, "chris", "teamlead", "centrum", PASSWORD, "Chris")
    create_account(store, "dirk", "trainee", "deurne", PASSWORD, "Dirk")
    return store


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def _sign_in(session: aiohttp.ClientSession, url: str, name: str, password: str = PASSWORD, headers=None):
    async with session.get(f"{url}/staff/aanmelden") as form:
        token = _csrf(await form.text())
    return await session.post(
        f"{url}/staff/aanmelden", data={"csrf": token, "naam": name, "wachtwoord": password},
        allow_redirects=False, headers=headers or {},
    )


def client() -> aiohttp.ClientSession:
    """A browser-like client: it keeps cookies, also those of 127.0.0.1."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def serve(monkeypatch, tmp_path, scenario) -> None:
    """Builds the server as served (outside any event loop, as Rasa does), then runs
    `scenario(url, agent)` while it listens."""
    served = Served(monkeypatch, tmp_path)

    async def run():
        async with served as (url, agent, _):
            await scenario(url, agent)

    asyncio.run(run())


def test_sign_in_sets_a_strict_session_cookie_and_refuses_wrong_passwords(monkeypatch, tmp_path):
    _store(tmp_path, monkeypatch)

    async def scenario(url, _agent):
        async with client() as http:
            wrong = await _sign_in(http, url, "an", "niet-het-wachtwoord")
            assert wrong.status == 401
            assert "stadsloket_staff" not in wrong.cookies
            assert "horen niet bij elkaar" in await wrong.text()
            unknown = await _sign_in(http, url, "niemand")
            assert unknown.status == 401
            right = await _sign_in(http, url, "an")
            assert right.status == 303 and right.headers["Location"] == "/staff/"
            cookie = right.headers.getall("Set-Cookie")
            session_cookie = next(c for c in cookie if c.startswith("stadsloket_staff="))
            assert "HttpOnly" in session_cookie and "SameSite=Strict" in session_cookie
            assert "Path=/staff" in session_cookie and "Secure" not in session_cookie
            async with http.get(f"{url}/staff/") as home:
                body = await home.text()
                assert home.status == 200 and "Afmelden (An)" in body
                assert "default-src 'none'" in home.headers["Content-Security-Policy"]
        async with client() as http:
            behind_https = await _sign_in(http, url, "bart", headers={"X-Forwarded-Proto": "https"})
            session_cookie = next(c for c in behind_https.headers.getall("Set-Cookie") if c.startswith("stadsloket_staff="))
            assert "Secure" in session_cookie

    serve(monkeypatch, tmp_path, scenario)


def test_failed_attempts_slow_down_further_tries_even_with_the_right_password(monkeypatch, tmp_path):
    _store(tmp_path, monkeypatch)

    async def scenario(url, _agent):
        async with client() as http:
            for _ in range(3):
                assert (await _sign_in(http, url, "bart", "fout-fout-fout")).status == 401
            slowed = await _sign_in(http, url, "bart")
            assert slowed.status == 429
            assert "Te veel mislukte pogingen" in await slowed.text()
            assert "stadsloket_staff" not in slowed.cookies

    serve(monkeypatch, tmp_path, scenario)


def test_no_session_no_csrf_and_an_expired_session_reach_nothing(monkeypatch, tmp_path):
    store = _store(tmp_path, monkeypatch)

    async def scenario(url, _agent):
        async with client() as http:
            for method, path in (("GET", "/staff/"), ("POST", "/staff/oefenen"), ("GET", "/staff/team"),
                                 ("GET", "/staff/team.csv"), ("GET", "/staff/oefenen/1")):
                async with http.request(method, url + path, allow_redirects=False) as resp:
                    assert resp.status == 303 and resp.headers["Location"] == "/staff/aanmelden", path
            # The sign-in form itself needs its CSRF cookie.
            async with http.post(f"{url}/staff/aanmelden", data={"naam": "an", "wachtwoord": PASSWORD},
                                 allow_redirects=False) as forged:
                assert forged.status == 403
        async with client() as http:
            assert (await _sign_in(http, url, "an")).status == 303
            async with http.post(f"{url}/staff/oefenen", data={"onderwerp": "alles"}, allow_redirects=False) as no_token:
                assert no_token.status == 403
            async with http.post(f"{url}/staff/oefenen", data={"onderwerp": "alles", "csrf": "x" * 43},
                                 allow_redirects=False) as bad_token:
                assert bad_token.status == 403
            assert store.rounds_of("an", finished_only=False) == []
            # The session expires: the next request is sent to the sign-in page.
            with store.engine.begin() as conn:
                conn.execute(sessions.update().values(expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))
            async with http.get(f"{url}/staff/", allow_redirects=False) as expired:
                assert expired.status == 303 and expired.headers["Location"] == "/staff/aanmelden"

    serve(monkeypatch, tmp_path, scenario)


def _table_rows(store: StaffStore, table: str) -> int:
    with store.engine.connect() as conn:
        if not sa.inspect(conn).has_table(table):
            return 0
        return conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar()


def test_a_round_from_start_to_score_writes_no_booking_and_the_team_lead_sees_it(monkeypatch, tmp_path):
    store = _store(tmp_path, monkeypatch)

    async def scenario(url, agent):
        async with client() as http:
            assert (await _sign_in(http, url, "an")).status == 303
            async with http.get(f"{url}/staff/") as home:
                token = _csrf(await home.text())
            async with http.post(f"{url}/staff/oefenen", data={"onderwerp": "alles", "csrf": token}) as started:
                page = await started.text()
                assert "Vraag 1 van 5" in page and "Burger:" in page
            for _ in range(10):
                if "Je score" in page:
                    break
                round_path = re.search(r'action="(/staff/oefenen/\d+/antwoord)"', page).group(1)
                step = re.search(r'name="stap" value="([^"]*)"', page).group(1)
                answer = {"csrf": token, "stap": step, "antwoord": "Maak nen afspraak en breng uw identiteitskaart mee."}
                async with http.post(url + round_path, data=answer) as answered:
                    page = await answered.text()
                    assert answered.status == 200
            assert "Je score" in page and "Feiten juist per onderwerp" in page
            assert re.search(r"(bron|aanname) [ABC]\d", page)
            async with http.get(f"{url}/staff/team") as not_lead:
                assert not_lead.status == 403
        async with client() as http:
            assert (await _sign_in(http, url, "chris")).status == 303
            async with http.get(f"{url}/staff/team") as team:
                body = await team.text()
                assert team.status == 200 and body.count("<svg") == 2 and ">an<" in body and "bar-heading" in body
            async with http.get(f"{url}/staff/team.csv") as exported:
                text = await exported.text()
                assert text.splitlines()[0] == "onderwerp,feit,medewerker,gevraagd,gemist_of_fout"
                assert ",an," in text and ",dirk," not in text
        assert agent.seen == []  # practice never went through the assistant

    serve(monkeypatch, tmp_path, scenario)
    assert _table_rows(store, "bookings") == 0 and _table_rows(store, "slot_usage") == 0
    assert _table_rows(store, "practice_results") >= 5


def test_the_public_channels_cannot_reach_the_staff_side(monkeypatch, tmp_path):
    store = _store(tmp_path, monkeypatch)

    async def scenario(url, agent):
        async with client() as http:
            async with http.post(f"{url}/webhooks/rest/webhook", json={"sender": "burger-1", "message": "ik wil oefenen"}) as rest:
                assert rest.status == 200
                assert await rest.json() == [{"recipient_id": "burger-1", "text": "ok: ik wil oefenen"}]
            async with http.get(f"{url}/webhooks/staff/", allow_redirects=False) as elsewhere:
                assert elsewhere.status == 404
        sio = socketio.AsyncClient()
        await sio.connect(url, socketio_path="/socket.io", transports=["websocket"])
        await sio.emit("session_request", {})
        await asyncio.sleep(0.5)
        for event in ("staff", "oefenen", "practice", "team"):
            await sio.emit(event, {"message": "start", "naam": "an"})
        await asyncio.sleep(0.5)
        await sio.disconnect()
        # "ik wil oefenen" was an ordinary message for the assistant; no socket event got through.
        assert [m.text for m in agent.seen] == ["ik wil oefenen"]

    serve(monkeypatch, tmp_path, scenario)
    assert store.rounds_of("an", finished_only=False) == []


def test_a_request_forwarded_by_an_undeclared_proxy_gets_nothing(monkeypatch, tmp_path):
    _store(tmp_path, monkeypatch)

    async def scenario(url, _agent):
        async with client() as http:
            async with http.get(f"{url}/staff/aanmelden") as direct:
                assert direct.status == 200  # loopback, the default
            for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded"):
                async with http.get(f"{url}/staff/aanmelden", headers={header: "203.0.113.9"}) as forwarded:
                    assert forwarded.status == 404, header

    serve(monkeypatch, tmp_path, scenario)


def test_odd_input_gets_a_page_not_an_error(monkeypatch, tmp_path):
    _store(tmp_path, monkeypatch)

    async def scenario(url, _agent):
        async with client() as http:
            async with http.get(f"{url}/staff/aanmelden") as form:
                await form.text()
            async with http.post(f"{url}/staff/aanmelden", data={"csrf": "é" * 40, "naam": "an\x00", "wachtwoord": "x"},
                                 allow_redirects=False) as odd_token:
                assert odd_token.status == 403 and "verlopen" in await odd_token.text()
            assert (await _sign_in(http, url, "an\x00", "x")).status == 401
            assert (await _sign_in(http, url, "an")).status == 303
            async with http.get(f"{url}/staff/") as home:
                token = _csrf(await home.text())
            async with http.post(f"{url}/staff/oefenen", data={"onderwerp": "alles", "csrf": "ü" * 43},
                                 allow_redirects=False) as odd:
                assert odd.status == 403
            for path in ("/staff/oefenen/99999999999999999999", "/staff/oefenen/0"):
                async with http.get(url + path) as missing:
                    assert missing.status == 404, path
            async with http.post(f"{url}/staff/oefenen/99999999999999999999/antwoord",
                                 data={"csrf": token, "antwoord": "x", "stap": "0"}) as missing:
                assert missing.status == 404

    serve(monkeypatch, tmp_path, scenario)


def test_the_staff_page_answers_only_the_internal_network(monkeypatch, tmp_path):
    _store(tmp_path, monkeypatch)
    monkeypatch.setenv("STADSLOKET_STAFF_NETWORKS", "10.20.0.0/16")

    async def scenario(url, _agent):
        async with aiohttp.ClientSession() as http:
            for path in ("/staff/aanmelden", "/staff/", "/staff/static/staff.css"):
                async with http.get(url + path, allow_redirects=False) as outside:
                    assert outside.status == 404, path
            async with http.post(f"{url}/webhooks/rest/webhook", json={"sender": "b", "message": "dag"}) as rest:
                assert rest.status == 200  # the citizens' side is not affected

    serve(monkeypatch, tmp_path, scenario)


def test_the_page_names_the_facts_that_changed_since_the_last_round(monkeypatch, tmp_path):
    import random

    import yaml

    from service_catalogue import load_catalogue
    from service_catalogue.loader import DEFAULT_PATH
    from staff.practice import rounds

    store = _store(tmp_path, monkeypatch)
    done = rounds.start(store, load_catalogue(), "an", "centrum", "alles", random.Random(0))
    store.save_round(done, 0, store.round(done)["state"], True, [])
    raw = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    raw["counters"]["linkeroever"]["redirect"]["valid_until"] = "2027-03-31"
    changed = tmp_path / "services.yml"
    changed.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    async def scenario(url, _agent):
        async with client() as http:
            assert (await _sign_in(http, url, "an")).status == 303
            async with http.get(f"{url}/staff/") as before:
                assert "Gewijzigd sinds" not in await before.text()
            monkeypatch.setenv("STADSLOKET_CATALOGUE", str(changed))
            async with http.get(f"{url}/staff/") as after:
                page = await after.text()
            assert "Gewijzigd sinds" in page and "tot en met woensdag 31 maart 2027" in page
            token = _csrf(page)
            async with http.post(f"{url}/staff/oefenen", data={"onderwerp": "thuis", "csrf": token}) as started:
                first = await started.text()
            # Even in another topic, the round opens with the changed fact.
            assert "Linkeroever" in first.split("Vraag 1 van 5")[1].split("</p>")[0]

    serve(monkeypatch, tmp_path, scenario)
