"""The staff page's routes (mounted at /staff on the Rasa server by channels/staff_page.py).

Server-rendered HTML with no script: every action is a form with a CSRF token, so the pages work
with a keyboard and a screen reader, and nothing of the public chat page's code reaches them.
The page is for the city's internal network only (README: never exposed to the internet).
"""
from __future__ import annotations

import csv
import datetime as dt
import hmac
import io
import logging
import os
import re
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from typing import Any, Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint, response
from sanic.request import Request

from bookings.store import StoreUnavailable
from handover.queue import HandoverQueue
from privacy.masking import Masker
from review import corrections, figures
from review.conversations import FILTERS, ConversationArchive, markdown
from service_catalogue import load_catalogue, schedule
from serving import internal_network
from staff import accounts, handover_pages, identity_provider
from staff.practice import rounds
from staff.practice.answer_check import AnswerChecker
from staff.practice.scenarios import MIXED, snapshot, statements, topics
from staff.practice.wording import texts
from staff.progress import charts, csv_rows, missed_rows
from staff.store import StaffStore, aware

log = logging.getLogger(__name__)

ROOT = "/staff"
SESSION_COOKIE = "stadsloket_staff"
SIGN_IN_COOKIE = "stadsloket_staff_signin"
# Ties the identity provider's answer to the browser that asked for it (login CSRF). Lax: the
# provider sends the browser back with a top-level GET from its own site.
OIDC_COOKIE = "stadsloket_staff_oidc"
OIDC_PATH = ROOT + "/oidc"
STATE = re.compile(r"[A-Za-z0-9_-]{16,128}")  # what authorization_redirect makes
HERE = Path(__file__).resolve().parent
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

# The figures read at most this many of the most recent conversations (one query each).
FIGURES_LIMIT = 5000

# Where staff may connect from: this machine, unless the city names its internal network.
NETWORKS_ENV = "STADSLOKET_STAFF_NETWORKS"


_templates = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"]))


def _secure(request: Request) -> bool:
    """Cookies are Secure behind HTTPS (directly, or as the proxy in front reports it)."""
    if os.environ.get("STADSLOKET_STAFF_SECURE_COOKIES") == "1":
        return True
    return request.scheme == "https" or request.headers.get("x-forwarded-proto", "") == "https"


def _cookie(request: Request, resp, name: str, value: str, max_age: Optional[int] = None,
            path: str = ROOT, samesite: str = "Strict") -> None:
    resp.cookies[name] = value
    morsel = resp.cookies[name]
    morsel["path"] = path
    morsel["httponly"] = True
    morsel["samesite"] = samesite
    if _secure(request):
        morsel["secure"] = True
    if max_age is not None:
        morsel["max-age"] = max_age


def _page(template: str, status: int = 200, live: bool = False, **values: Any):
    """`live`: the page runs the one script of the staff side (static/live.js), which fetches
    parts of the page anew from the same origin; every other page runs none."""
    html = _templates.get_template(template).render(root=ROOT, after_follow_up=texts()["after_follow_up"], **values)
    headers = dict(SECURITY_HEADERS)
    if live:
        headers["Content-Security-Policy"] += "; script-src 'self'; connect-src 'self'"
    return response.html(html, status=status, headers=headers)


def _fragment(template: str, status: int = 200, **values: Any):
    """A part of a page, for static/live.js to put in place."""
    html = _templates.get_template(template).render(root=ROOT, **values)
    return response.html(html, status=status, headers=SECURITY_HEADERS)


def _unavailable(session: Optional[accounts.Session] = None):
    member = session.member if session else None
    return _page("message.html", 503, title="Even niet beschikbaar", member=member, csrf=session.csrf if session else "",
                 text="De databank van de oefenruimte is nu niet bereikbaar. Probeer het zo meteen opnieuw.")


def _not_configured():
    return _page("message.html", 404, title="Niet ingesteld", text="Aanmelden met een stadsaccount is hier niet ingesteld.")


def _redirect(path: str):
    return response.redirect(ROOT + path, headers=SECURITY_HEADERS, status=303)


class StaffPages:
    def __init__(self, store: Optional[StaffStore] = None):
        self._store = store
        self._checker: Optional[AnswerChecker] = None
        self._conversations: Optional[ConversationArchive] = None

    @property
    def store(self) -> StaffStore:
        if self._store is None:
            self._store = StaffStore()
        return self._store

    @property
    def checker(self) -> AnswerChecker:
        if self._checker is None:
            self._checker = AnswerChecker(load_catalogue())
        return self._checker

    def session(self, request: Request) -> Optional[accounts.Session]:
        return accounts.current_session(self.store, request.cookies.get(SESSION_COOKIE))

    def blueprint(self) -> Blueprint:
        bp = Blueprint("staff_pages", url_prefix=ROOT)
        pages = self

        @bp.middleware("request")
        async def internal_only(request: Request):
            if not internal_network.allowed(request, NETWORKS_ENV):
                return response.text("Not Found", status=404)

        def signed_in(handler):
            async def wrapped(request: Request, *args, **kwargs):
                try:
                    session = pages.session(request)
                except StoreUnavailable:
                    return _unavailable()
                if session is None:
                    return _redirect("/aanmelden")
                if request.method == "POST" and not accounts.csrf_ok(session, request.form.get("csrf")):
                    return _page("message.html", 403, title="Formulier verlopen", member=session.member, csrf=session.csrf,
                                 text="Dit formulier is niet meer geldig. Laad de pagina opnieuw en probeer nog eens.")
                try:
                    return await handler(request, session, *args, **kwargs)
                except StoreUnavailable:
                    return _unavailable(session)

            wrapped.__name__ = handler.__name__
            return wrapped

        @bp.get("/static/staff.css")
        async def stylesheet(request: Request):
            return await response.file(str(HERE / "static" / "staff.css"), headers={"Cache-Control": "max-age=3600"})

        @bp.get("/static/live.js")
        async def live_script(request: Request):
            return await response.file(str(HERE / "static" / "live.js"), mime_type="text/javascript",
                                       headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})

        @bp.get("/aanmelden")
        async def sign_in_form(request: Request):
            token = secrets.token_urlsafe(32)
            resp = _page("sign_in.html", csrf=token, name="", identity_provider=identity_provider.configured() is not None)
            _cookie(request, resp, SIGN_IN_COOKIE, token, max_age=1800)
            return resp

        @bp.post("/aanmelden")
        async def sign_in(request: Request):
            expected = request.cookies.get(SIGN_IN_COOKIE) or ""
            submitted = request.form.get("csrf") or ""
            name = (request.form.get("naam") or "")[:64]
            token = secrets.token_urlsafe(32)

            def again(status: int, error: str):
                resp = _page("sign_in.html", status, csrf=token, name=name, error=error,
                             identity_provider=identity_provider.configured() is not None)
                _cookie(request, resp, SIGN_IN_COOKIE, token, max_age=1800)
                return resp

            if not expected or not hmac.compare_digest(expected.encode(), submitted.encode()):
                return again(403, "Dit formulier is verlopen. Probeer opnieuw.")
            address = request.remote_addr or request.ip or ""
            try:
                member = accounts.sign_in(pages.store, name, request.form.get("wachtwoord") or "", address)
            except accounts.TooManyAttempts as wait:
                unit = "seconde" if wait.wait_seconds == 1 else "seconden"
                return again(429, f"Te veel mislukte pogingen. Probeer opnieuw over {wait.wait_seconds} {unit}.")
            except accounts.SignInRefused:
                log.info("staff sign-in refused")
                return again(401, "Die gebruikersnaam en dat wachtwoord horen niet bij elkaar.")
            except StoreUnavailable:
                return again(503, "De databank is nu niet bereikbaar. Probeer het zo meteen opnieuw.")
            try:
                return pages.signed_in_response(request, member)
            except StoreUnavailable:
                return again(503, "De databank is nu niet bereikbaar. Probeer het zo meteen opnieuw.")

        @bp.get("/oidc/aanmelden")
        async def oidc_start(request: Request):
            settings = identity_provider.configured()
            if settings is None:
                return _not_configured()
            try:
                url = await identity_provider.authorization_redirect(settings, pages.store)
            except (identity_provider.IdentityRefused, StoreUnavailable):
                return _page("message.html", 502, title="Aanmelden lukt niet",
                             text="De aanmeldservice van de stad antwoordt niet. Probeer het later opnieuw.")
            state = parse_qs(urlsplit(url).query).get("state", [""])[0]
            resp = response.redirect(url, headers=SECURITY_HEADERS, status=303)
            _cookie(request, resp, OIDC_COOKIE, state, max_age=600, path=OIDC_PATH, samesite="Lax")
            return resp

        @bp.get("/oidc/terug")
        async def oidc_callback(request: Request):
            settings = identity_provider.configured()
            if settings is None:
                return _not_configured()
            arguments = {k: v[0] for k, v in request.args.items()}
            started_here = request.cookies.get(OIDC_COOKIE) or ""
            try:
                state = arguments.get("state", "")
                if not STATE.fullmatch(state) or not hmac.compare_digest(started_here.encode(), state.encode()):
                    raise identity_provider.IdentityRefused("the sign-in was not started in this browser")
                member = await identity_provider.member_from_callback(settings, pages.store, arguments)
                # A page of our own, not a redirect: the provider's site started this navigation,
                # and a SameSite=Strict cookie is sent only on a navigation that starts here.
                token = accounts.start_session(pages.store, member)
                resp = _page("signed_in.html", title="Aangemeld")
                _cookie(request, resp, SESSION_COOKIE, token)
                _cookie(request, resp, OIDC_COOKIE, "", max_age=0, path=OIDC_PATH, samesite="Lax")
                return resp
            except identity_provider.IdentityRefused:
                log.info("staff sign-in through the identity provider refused")
                return _page("message.html", 401, title="Aanmelden mislukt",
                             text="De aanmelding met je stadsaccount kon niet bevestigd worden. Probeer opnieuw.")
            except StoreUnavailable:
                return _unavailable()

        @bp.post("/afmelden")
        @signed_in
        async def sign_out(request: Request, session: accounts.Session):
            pages.store.end_session(session.token_hash)
            resp = _redirect("/aanmelden")
            _cookie(request, resp, SESSION_COOKIE, "", max_age=0)
            return resp

        @bp.get("/")
        @signed_in
        async def home(request: Request, session: accounts.Session):
            catalogue = load_catalogue()
            today = schedule.today(catalogue)
            every = statements(catalogue, today)
            changed_keys = rounds.changed_for(pages.store, session.member.name, snapshot(catalogue, today))
            # open_day follows its counter's days_rule, which names the change in general terms
            named = {key.replace("open_day:", "days_rule:") for key in changed_keys}
            unique = [every[key] for key in sorted(named) if key in every]
            past = []
            for done in pages.store.rounds_of(session.member.name)[:10]:
                rows = rounds.score(done["state"])
                past.append({
                    "started": aware(done["started_at"]).astimezone(schedule.now(catalogue).tzinfo).strftime("%d-%m-%Y %H:%M"),
                    "topic": texts()["mixed_topic"] if done["topic"] == MIXED else topics().get(done["topic"], done["topic"]),
                    "hit": sum(r["hit"] for r in rows), "asked": sum(r["asked"] for r in rows),
                })
            choices = [(MIXED, texts()["mixed_topic"])] + list(topics().items())
            return _page("home.html", title="Oefenen", member=session.member, csrf=session.csrf,
                         topics=choices, changed=unique, past=past)

        @bp.post("/oefenen")
        @signed_in
        async def start_round(request: Request, session: accounts.Session):
            topic = request.form.get("onderwerp") or MIXED
            if topic != MIXED and topic not in topics():
                topic = MIXED
            round_id = rounds.start(pages.store, load_catalogue(), session.member.name, session.member.team, topic)
            return _redirect(f"/oefenen/{round_id}")

        @bp.get("/oefenen/<round_id:int>")
        @signed_in
        async def show_round(request: Request, session: accounts.Session, round_id: int):
            found = pages.store.round(round_id)
            if not found or found["trainee"] != session.member.name:
                return _page("message.html", 404, title="Ronde niet gevonden", member=session.member, csrf=session.csrf,
                             text="Die oefenronde bestaat niet of is niet van jou.")
            return _page("round.html", title="Oefenronde", member=session.member, csrf=session.csrf, shown=rounds.view(found))

        @bp.post("/oefenen/<round_id:int>/antwoord")
        @signed_in
        async def answer(request: Request, session: accounts.Session, round_id: int):
            try:
                rounds.answer(pages.store, pages.checker, round_id, session.member.name,
                              request.form.get("antwoord") or "", answered_step=request.form.get("stap") or "")
            except rounds.StaleAnswer:
                pass  # answered already (another tab): the round page shows where it stands
            except LookupError:
                return _page("message.html", 404, title="Ronde niet gevonden", member=session.member, csrf=session.csrf,
                             text="Die oefenronde bestaat niet, is al afgelopen of is niet van jou.")
            return _redirect(f"/oefenen/{round_id}")

        @bp.get("/team")
        @signed_in
        async def team(request: Request, session: accounts.Session):
            if not session.member.is_team_lead:
                return _page("message.html", 403, title="Enkel voor teamverantwoordelijken", member=session.member,
                             csrf=session.csrf, text="Je eigen scores zie je op de oefenpagina.")
            found = pages.store.results_of(team=session.member.team)
            rows = missed_rows(found)
            return _page("team.html", title="Mijn team", member=session.member, csrf=session.csrf, rows=rows,
                         charts=charts(found, f"Hele team {session.member.team}"))

        @bp.get("/team.csv")
        @signed_in
        async def team_csv(request: Request, session: accounts.Session):
            if not session.member.is_team_lead:
                return response.text("Enkel voor teamverantwoordelijken.", status=403, headers=SECURITY_HEADERS)
            out = io.StringIO()
            writer = csv.writer(out)
            for row in csv_rows(pages.store.results_of(team=session.member.team)):
                writer.writerow(row)
            headers = {**SECURITY_HEADERS, "Content-Disposition": 'attachment; filename="oefenresultaten.csv"'}
            return response.text(out.getvalue(), headers=headers, content_type="text/csv; charset=utf-8")

        def reviewers_only(session: accounts.Session):
            if session.member.is_team_lead:
                return None
            return _page("message.html", 403, title="Enkel voor teamverantwoordelijken", member=session.member,
                         csrf=session.csrf, text="Gesprekken nalezen doen de teamverantwoordelijken.")

        def archive_unavailable(session: accounts.Session):
            return _page("message.html", 503, title="Even niet beschikbaar", member=session.member, csrf=session.csrf,
                         text="De databank met de gesprekken is nu niet bereikbaar. Probeer het zo meteen opnieuw.")

        def for_reviewers(handler):
            """Team leads only; a conversations database that is down gets a page, not an error."""
            async def wrapped(request: Request, session: accounts.Session, *args, **kwargs):
                refused = reviewers_only(session)
                if refused:
                    return refused
                try:
                    return await handler(request, session, *args, **kwargs)
                except sa.exc.SQLAlchemyError:
                    return archive_unavailable(session)

            wrapped.__name__ = handler.__name__
            return wrapped

        @bp.get("/gesprekken")
        @signed_in
        @for_reviewers
        async def conversations(request: Request, session: accounts.Session):
            chosen = request.args.get("filter") or ""
            chosen = chosen if chosen in FILTERS else ""
            found = pages.archive_conversations()
            shown = [c for c in found if not chosen or chosen in c.flags]
            return _page("conversations.html", title="Gesprekken", member=session.member, csrf=session.csrf,
                         filters=FILTERS, chosen=chosen, shown=shown)

        @bp.get("/gesprekken/<ref:[0-9a-f]{12}>")
        @signed_in
        @for_reviewers
        async def conversation(request: Request, session: accounts.Session, ref: str):
            found = pages.archive_find(ref)
            if found is None:
                return _page("message.html", 404, title="Gesprek niet gevonden", member=session.member,
                             csrf=session.csrf, text="Dat gesprek bestaat niet (meer).")
            saved = request.args.get("bewaard") or ""
            return _page("conversation.html", title=f"Gesprek {ref}", member=session.member, csrf=session.csrf,
                         c=found, filters=FILTERS, intents=corrections.domain_intents(),
                         saved=int(saved) if saved.isdigit() else None)

        @bp.post("/gesprekken/<ref:[0-9a-f]{12}>/correctie")
        @signed_in
        @for_reviewers
        async def mark_wrong_turn(request: Request, session: accounts.Session, ref: str):
            found = pages.archive_find(ref)
            line_number = request.form.get("regel") or ""
            lines = found.lines if found else []
            line = lines[int(line_number)] if line_number.isdigit() and int(line_number) < len(lines) else None
            if line is None or line.who != "burger":
                return _page("message.html", 404, title="Bericht niet gevonden", member=session.member,
                             csrf=session.csrf, text="Dat bericht van een burger staat niet (meer) in dit gesprek.")
            zone, public = pages._where()
            note = Masker(public_numbers=public).text((request.form.get("notitie") or "")[:2000]) or ""
            correction = corrections.Correction(ref, line.text, line.intent, line.confidence,
                                                request.form.get("intentie") or "", note)
            try:
                corrections.save(corrections.check(correction, corrections.domain_intents()))
            except corrections.CorrectionRefused:
                return _page("message.html", 400, title="Niet bewaard", member=session.member, csrf=session.csrf,
                             text="Enkel een getypt bericht met een bestaande intentie kan een voorbeeld worden.")
            return _redirect(f"/gesprekken/{ref}?bewaard={line_number}#regel-{line_number}")

        @bp.get("/gesprekken/<ref:[0-9a-f]{12}>/markdown")
        @signed_in
        async def conversation_markdown(request: Request, session: accounts.Session, ref: str):
            if not session.member.is_team_lead:
                return response.text("Enkel voor teamverantwoordelijken.", status=403, headers=SECURITY_HEADERS)
            try:
                found = pages.archive_find(ref)
            except sa.exc.SQLAlchemyError:
                return response.text("De databank is nu niet bereikbaar.", status=503, headers=SECURITY_HEADERS)
            if found is None:
                return response.text("Dat gesprek bestaat niet (meer).", status=404, headers=SECURITY_HEADERS)
            headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="gesprek-{ref}.md"'}
            return response.text(markdown(found), headers=headers, content_type="text/markdown; charset=utf-8")

        @bp.get("/cijfers")
        @signed_in
        @for_reviewers
        async def figures_page(request: Request, session: accounts.Session):
            found, today = pages.figures()
            return _page("figures.html", title="Cijfers", member=session.member, csrf=session.csrf, f=found,
                         today=today, chart=figures.per_day_chart(found))

        @bp.get("/cijfers.csv")
        @signed_in
        async def figures_csv(request: Request, session: accounts.Session):
            if not session.member.is_team_lead:
                return response.text("Enkel voor teamverantwoordelijken.", status=403, headers=SECURITY_HEADERS)
            try:
                found, _ = pages.figures()
            except sa.exc.SQLAlchemyError:
                return response.text("De databank is nu niet bereikbaar.", status=503, headers=SECURITY_HEADERS)
            out = io.StringIO()
            csv.writer(out).writerows(figures.csv_rows(found))
            headers = {**SECURITY_HEADERS, "Content-Disposition": 'attachment; filename="assistent-cijfers.csv"'}
            return response.text(out.getvalue(), headers=headers, content_type="text/csv; charset=utf-8")

        handover_pages.add_routes(bp, ROOT, _page, _redirect, signed_in, _fragment)
        return bp

    def figures(self, days: int = 30):
        catalogue = load_catalogue()
        today = schedule.today(catalogue)
        since = dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time(0), ZoneInfo(catalogue.timezone))
        try:
            waits = HandoverQueue.shared().waits(since)
        except StoreUnavailable:
            waits = None
        return figures.compute(self.archive_conversations(limit=FIGURES_LIMIT), today, days, waits), today

    # --- conversations, for review -------------------------------------------------------------

    def _archive(self) -> Optional[ConversationArchive]:
        if self._conversations is None:
            try:
                self._conversations = ConversationArchive()
            except sa.exc.NoSuchTableError:
                return None  # no conversation yet
        return self._conversations

    @staticmethod
    def _where():
        catalogue = load_catalogue()
        return ZoneInfo(catalogue.timezone), [catalogue.contact_centre.phone]

    def archive_conversations(self, limit: int = 200):
        archive = self._archive()
        zone, public = self._where()
        return archive.conversations(zone, public, limit=limit) if archive else []

    def archive_find(self, ref: str):
        archive = self._archive()
        zone, public = self._where()
        return archive.find(ref, zone, public) if archive else None

    def signed_in_response(self, request: Request, member: accounts.StaffMember):
        token = accounts.start_session(self.store, member)
        resp = _redirect("/")
        _cookie(request, resp, SESSION_COOKIE, token)
        _cookie(request, resp, SIGN_IN_COOKIE, "", max_age=0)
        return resp
