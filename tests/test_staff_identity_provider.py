"""Signing in through the city's identity provider (staff/identity_provider.py), against a stand-in
OpenID provider served with aiohttp on a free port of 127.0.0.1.

The stand-in is strict where a real provider is: it wants the client's credentials as HTTP Basic,
a code used once, the same redirect URI, and a code verifier whose S256 hash is the challenge it
was given. Each test can change what goes into the ID token (another nonce, issuer, audience,
expiry or signing key) to check that the assistant refuses it.
"""
from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import os
import secrets
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp import web
from joserfc import jwt
from joserfc.jwk import RSAKey

from staff import accounts, identity_provider
from staff.identity_provider import IdentityRefused, Settings
from staff.store import StaffStore, utcnow
from tests.conftest import free_port

CLIENT_ID = "stadsloket-staff"
CLIENT_SECRET = "geheim-van-de-client"
CALLBACK = "http://127.0.0.1:1/staff/oidc/terug"  # never visited when the test plays the browser
KEY = RSAKey.generate_key(2048, parameters={"kid": "sleutel-1", "use": "sig", "alg": "RS256"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "sleutel-1", "use": "sig", "alg": "RS256"})  # same kid
TRAINEE = {"sub": "0f7c2a", "preferred_username": "Jana.Peeters", "given_name": "Jana", "name": "Jana Peeters",
           "email": "jana.peeters@antwerpen.be", "roles": ["medewerker"], "team": "Berchem"}
LEAD = {"sub": "91bd44", "preferred_username": "karim.el-amrani", "name": "Karim El Amrani",
        "roles": ["medewerker", "teamlead"], "team": "Deurne"}


def s256(verifier: str) -> str:
    """Written out here rather than taken from authlib, so the test does not trust the code it checks."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class Provider:
    """A stand-in OpenID provider: discovery, /authorize, /token and /jwks."""

    def __init__(self, user=TRAINEE):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.user = dict(user)
        self.changes = {}  # claims to put into the next ID tokens instead of the right ones
        self.signing_key = KEY
        self.grants = {}  # code -> what /authorize was asked
        self.refused = []  # why /token said no
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self.discovery)
        app.router.add_get("/authorize", self.authorize)
        app.router.add_post("/token", self.token)
        app.router.add_get("/jwks", self.jwks)
        self.runner = web.AppRunner(app)

    def settings(self, redirect_url=CALLBACK, **extra) -> Settings:
        return Settings(self.issuer, CLIENT_ID, CLIENT_SECRET, redirect_url, **extra)

    async def __aenter__(self):
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc):
        await self.runner.cleanup()

    async def discovery(self, request):
        return web.json_response({
            "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"], "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        })

    async def authorize(self, request):
        asked = request.query
        if (asked.get("client_id") != CLIENT_ID or asked.get("response_type") != "code"
                or "openid" not in asked.get("scope", "").split() or asked.get("code_challenge_method") != "S256"
                or not asked.get("state") or not asked.get("nonce") or not asked.get("code_challenge")):
            return web.Response(status=400, text="bad authorization request")
        code = secrets.token_urlsafe(24)
        self.grants[code] = {"nonce": asked["nonce"], "challenge": asked["code_challenge"], "redirect_uri": asked["redirect_uri"]}
        raise web.HTTPFound(f"{asked['redirect_uri']}?{urlencode({'code': code, 'state': asked['state']})}")

    async def token(self, request):
        form = await request.post()
        basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != basic:
            self.refused.append("client")
            return web.json_response({"error": "invalid_client"}, status=401)
        grant = self.grants.pop(form.get("code"), None)
        if grant is None or form.get("grant_type") != "authorization_code" or form.get("redirect_uri") != grant["redirect_uri"]:
            self.refused.append("grant")
            return web.json_response({"error": "invalid_grant"}, status=400)
        if s256(form.get("code_verifier", "")) != grant["challenge"]:
            self.refused.append("pkce")
            return web.json_response({"error": "invalid_grant"}, status=400)
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": grant["nonce"],
                  **self.user, **self.changes}
        id_token = jwt.encode({"alg": "RS256", "kid": "sleutel-1"}, claims, self.signing_key)
        return web.json_response({"access_token": secrets.token_urlsafe(24), "token_type": "Bearer",
                                  "expires_in": 300, "id_token": id_token})

    async def jwks(self, request):
        return web.json_response({"keys": [KEY.as_dict(private=False)]})


async def browser_answer(provider: Provider, store: StaffStore, settings=None) -> dict:
    """Plays the browser: from the assistant's redirect to the provider's answer (its query)."""
    url = await identity_provider.authorization_redirect(settings or provider.settings(), store)
    assert url.startswith(f"{provider.issuer}/authorize?")
    async with aiohttp.ClientSession() as http:
        async with http.get(url, allow_redirects=False) as r:
            assert r.status == 302, await r.text()
            location = r.headers["Location"]
    assert location.startswith(CALLBACK + "?")
    return dict(parse_qsl(urlsplit(location).query))


def with_provider(work, user=TRAINEE):
    async def scenario():
        async with Provider(user) as provider:
            return await work(provider)

    return asyncio.run(scenario())


@pytest.fixture
def store(tmp_path):
    found = StaffStore(f"sqlite:///{tmp_path}/staff.sqlite3")
    yield found
    found.close()


# --- signed in ------------------------------------------------------------------------------------


def test_a_trainee_signs_in_with_the_claims_of_the_provider(store):
    async def work(provider):
        member = await identity_provider.member_from_callback(provider.settings(), store, await browser_answer(provider, store))
        return member, provider.refused

    member, refused = with_provider(work)
    assert refused == []
    assert member == accounts.StaffMember("jana.peeters", "Jana", "trainee", "Berchem")
    row = store.account("jana.peeters")
    assert (row["display_name"], row["role"], row["team"]) == ("Jana", "trainee", "Berchem")


def test_the_role_claim_makes_a_team_lead(store):
    async def work(provider):
        return await identity_provider.member_from_callback(provider.settings(), store, await browser_answer(provider, store))

    assert with_provider(work, LEAD) == accounts.StaffMember("karim.el-amrani", "Karim El Amrani", "teamlead", "Deurne")


def test_claims_named_by_configuration_and_fallbacks(store):
    user = {"sub": "4a1c", "email": "Ëlise.Van-Damme@antwerpen.be", "email_verified": True, "groups": "loketleiding"}

    async def work(provider):
        settings = provider.settings(role_claim="groups", teamlead_value="loketleiding", team_claim="afdeling")
        return await identity_provider.member_from_callback(settings, store, await browser_answer(provider, store, settings))

    # no preferred_username: the e-mail address's local part; no names: the account name; no team: the default
    assert with_provider(work, user) == accounts.StaffMember("elise.van-damme", "elise.van-damme", "teamlead", "stadsloketten")
    # An e-mail address the provider has not verified names nobody: the subject does.
    unverified = {**user, "sub": "5b2d", "email": "iemand@antwerpen.be", "email_verified": False}
    assert with_provider(work, unverified).name == "5b2d"


def test_the_subject_when_nothing_else_names_the_member_and_refused_when_nothing_is_usable(store):
    async def work(provider):
        named = await identity_provider.member_from_callback(provider.settings(), store, await browser_answer(provider, store))
        provider.user = {"sub": "@@", "preferred_username": "!", "email": "ø@antwerpen.be"}
        with pytest.raises(IdentityRefused):
            await identity_provider.member_from_callback(provider.settings(), store, await browser_answer(provider, store))
        return named

    assert with_provider(work, {"sub": "A81F-22"}).name == "a81f-22"


def test_an_account_made_by_the_provider_has_no_password(store):
    async def work(provider):
        return await identity_provider.member_from_callback(provider.settings(), store, await browser_answer(provider, store))

    member = with_provider(work)
    assert store.account(member.name)["password_hash"] is None
    for password in ("", "jana.peeters", "een-lang-wachtwoord"):
        with pytest.raises(accounts.SignInRefused):
            accounts.sign_in(store, member.name, password, "10.0.0.7")


def test_the_discovery_document_is_read_once_per_issuer(store, monkeypatch):
    seen, original = [], identity_provider._get_json

    async def counting(client, url):
        seen.append(urlsplit(url).path)
        return await original(client, url)

    monkeypatch.setattr(identity_provider, "_get_json", counting)

    async def work(provider):
        for _ in range(2):
            await identity_provider.member_from_callback(provider.settings(), store, await browser_answer(provider, store))

    with_provider(work)
    assert seen == ["/.well-known/openid-configuration", "/jwks", "/jwks"]  # the keys each time: they rotate


# --- refused --------------------------------------------------------------------------------------


def refused_when(store, changes=None, signing_key=KEY, answer_change=None):
    """Signs in once with the ID token changed; returns (why the assistant refused, whether an account was made)."""

    async def work(provider):
        provider.changes = changes or {}
        provider.signing_key = signing_key
        answer = await browser_answer(provider, store)
        if answer_change:
            answer = answer_change(answer)
        with pytest.raises(IdentityRefused) as refused:
            await identity_provider.member_from_callback(provider.settings(), store, answer)
        return str(refused.value)

    reason = with_provider(work)
    return reason, store.account("jana.peeters") is not None


def test_a_replayed_answer_is_refused(store):
    async def work(provider):
        answer = await browser_answer(provider, store)
        first = await identity_provider.member_from_callback(provider.settings(), store, answer)
        with pytest.raises(IdentityRefused):
            await identity_provider.member_from_callback(provider.settings(), store, answer)
        return first, provider.refused

    first, provider_refused = with_provider(work)
    assert first.name == "jana.peeters"
    assert provider_refused == []  # refused before the code went to the provider again


def test_an_unknown_or_missing_state_is_refused(store):
    assert refused_when(store, answer_change=lambda a: {**a, "state": "a" + a["state"][1:]}) == (
        "unknown, used or expired state, or no code", False)
    assert refused_when(store, answer_change=lambda a: {"code": a["code"]})[1] is False


def test_a_state_older_than_ten_minutes_is_refused_and_deleted(store):
    def age(answer):
        too_old = utcnow() - identity_provider.LOGIN_LIFETIME - dt.timedelta(seconds=1)
        store.transact(lambda conn: conn.execute(identity_provider.logins.update().values(created_at=too_old)))
        return answer

    assert refused_when(store, answer_change=age) == ("unknown, used or expired state, or no code", False)
    left = store.transact(lambda conn: conn.execute(sa.select(sa.func.count()).select_from(identity_provider.logins)).scalar())
    assert left == 0


def test_an_error_from_the_provider_is_refused_and_uses_up_the_state(store):
    async def work(provider):
        answer = await browser_answer(provider, store)
        with pytest.raises(IdentityRefused, match="reported an error"):  # even with a code beside the error
            await identity_provider.member_from_callback(provider.settings(), store, {**answer, "error": "access_denied"})
        with pytest.raises(IdentityRefused):  # the state cannot be used any more after an error
            await identity_provider.member_from_callback(provider.settings(), store, answer)
        return len(provider.grants)

    assert with_provider(work) == 1  # the code never went to the token endpoint
    assert store.account("jana.peeters") is None


@pytest.mark.parametrize("changes", [
    {"nonce": "een-andere-nonce"},
    {"iss": "http://127.0.0.1:9/een-andere-uitgever"},
    {"aud": "een-andere-client"},
    {"aud": ["een-andere-client", "nog-een"]},
    {"azp": "een-andere-client"},
    {"exp": int(time.time()) - 120, "iat": int(time.time()) - 420},
], ids=["nonce", "issuer", "audience", "audiences", "authorized-party", "expired"])
def test_an_id_token_with_wrong_claims_is_refused(store, changes):
    reason, account_made = refused_when(store, changes)
    assert reason.startswith("ID token not accepted") and not account_made


def test_an_id_token_signed_by_another_key_is_refused(store):
    reason, account_made = refused_when(store, signing_key=OTHER_KEY)
    assert reason == "ID token not accepted (BadSignatureError)" and not account_made


def test_a_code_exchange_with_a_wrong_secret_is_refused(store):
    async def work(provider):
        answer = await browser_answer(provider, store)
        settings = Settings(provider.issuer, CLIENT_ID, "niet-het-geheim", CALLBACK)
        with pytest.raises(IdentityRefused):
            await identity_provider.member_from_callback(settings, store, answer)
        return provider.refused

    assert with_provider(work) == ["client"]


def test_an_unreachable_provider_is_refused(store):
    settings = Settings(f"http://127.0.0.1:{free_port()}", CLIENT_ID, CLIENT_SECRET, CALLBACK)
    with pytest.raises(IdentityRefused):
        asyncio.run(identity_provider.authorization_redirect(settings, store))


def test_settings_from_the_environment(monkeypatch):
    for name in identity_provider.REQUIRED + identity_provider.OPTIONAL:
        monkeypatch.delenv(f"STADSLOKET_OIDC_{name}", raising=False)
    assert identity_provider.configured() is None
    for name, value in (("ISSUER", "https://login.antwerpen.be"), ("CLIENT_ID", "c"), ("CLIENT_SECRET", "s"),
                        ("REDIRECT_URL", "https://loket.antwerpen.be/staff/oidc/terug")):
        monkeypatch.setenv(f"STADSLOKET_OIDC_{name}", value)
    assert identity_provider.configured() == Settings("https://login.antwerpen.be", "c", "s",
                                                      "https://loket.antwerpen.be/staff/oidc/terug",
                                                      "roles", "teamlead", "team", "stadsloketten")
    monkeypatch.setenv("STADSLOKET_OIDC_ROLE_CLAIM", "groups")
    monkeypatch.setenv("STADSLOKET_OIDC_DEFAULT_TEAM", "Centrum")
    chosen = identity_provider.configured()
    assert (chosen.role_claim, chosen.teamlead_value, chosen.default_team) == ("groups", "teamlead", "Centrum")


def test_pending_sign_ins_on_postgresql():
    base = os.environ.get("STADSLOKET_TEST_DATABASE_URL")
    if not base:
        pytest.skip("set STADSLOKET_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    schema = f"staff_oidc_test_{secrets.token_hex(6)}"
    admin = sa.create_engine(base, future=True)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    store = StaffStore(str(sa.engine.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})))

    async def work(provider):
        answer = await browser_answer(provider, store)
        member = await identity_provider.member_from_callback(provider.settings(), store, answer)
        with pytest.raises(IdentityRefused):
            await identity_provider.member_from_callback(provider.settings(), store, answer)
        return member

    try:
        assert with_provider(work).name == "jana.peeters"
        assert store.account("jana.peeters")["password_hash"] is None
    finally:
        store.close()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


# --- through the staff page's routes --------------------------------------------------------------


def test_signing_in_through_the_staff_page(monkeypatch, store):
    from sanic import Sanic

    from staff.pages import SESSION_COOKIE, StaffPages

    monkeypatch.setattr(Sanic, "test_mode", True)
    port = free_port()
    page = f"http://127.0.0.1:{port}"
    app = Sanic("staff_identity_provider_test")
    app.blueprint(StaffPages(store).blueprint())

    async def scenario():
        async with Provider(LEAD) as provider:
            for name, value in (("ISSUER", provider.issuer), ("CLIENT_ID", CLIENT_ID), ("CLIENT_SECRET", CLIENT_SECRET),
                                ("REDIRECT_URL", f"{page}/staff/oidc/terug")):
                monkeypatch.setenv(f"STADSLOKET_OIDC_{name}", value)
            server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
            await server.startup()
            try:
                async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
                    async with browser.get(f"{page}/staff/oidc/aanmelden", allow_redirects=False) as r:
                        assert r.status == 303
                        to_provider = r.headers["Location"]
                    async with browser.get(to_provider, allow_redirects=False) as r:
                        assert r.status == 302
                        back = r.headers["Location"]
                    assert back.startswith(f"{page}/staff/oidc/terug?")
                    # The provider's answer opened in another browser (a link sent to a
                    # colleague: login CSRF) signs nobody in, and does not use up the answer.
                    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as colleague:
                        async with colleague.get(back, allow_redirects=False) as r:
                            elsewhere = (r.status, r.cookies.get(SESSION_COOKIE))
                    async with browser.get(back, allow_redirects=False) as r:
                        status, page_text, cookie = r.status, await r.text(), r.cookies.get(SESSION_COOKIE)
                    async with browser.get(f"{page}/staff/", allow_redirects=False) as r:
                        home = (r.status, await r.text())
                    async with browser.get(back, allow_redirects=False) as r:  # the same answer once more
                        replayed = r.status
            finally:
                server.close()
                await server.wait_closed()
            return elsewhere, status, page_text, cookie, home, replayed

    elsewhere, status, page_text, cookie, (home_status, home), replayed = asyncio.run(scenario())
    assert elsewhere == (401, None)
    # A page that moves on by itself: the provider's site started this navigation, and a
    # SameSite=Strict cookie only travels on a navigation that starts on ours.
    assert status == 200 and 'http-equiv="refresh" content="0; url=/staff/"' in page_text
    assert cookie is not None and cookie.value
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/staff"
    assert home_status == 200 and "Karim El Amrani" in home
    assert replayed == 401
    assert store.account("karim.el-amrani")["role"] == "teamlead"
