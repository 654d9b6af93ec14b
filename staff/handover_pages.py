"""The live handover on the staff page: the queue, a conversation taken, messages, handing back.

Server-rendered like the other staff pages; here one small script of our own (static/live.js,
allowed by these pages' CSP only) fetches the queue and the transcript anew every two seconds
into aria-live regions, so nothing reloads while a message is being typed. Without script, a
link reloads the page. Every route needs a signed-in
staff member; a conversation's page, messages and ending are for the one who took it only.
The public socket.io channel has no way in here: these are HTTP routes behind the staff session.
"""
from __future__ import annotations

import logging
from typing import List

from sanic.request import Request

from actions.texts import render
from handover import delivery
from handover.queue import CLOSED, HANDED_BACK, TALKING, HandoverQueue
from service_catalogue import load_catalogue, schedule
from staff import accounts

log = logging.getLogger(__name__)

MAX_STAFF_MESSAGE = 1000


def first_name(member: accounts.StaffMember) -> str:
    return (member.display_name or member.name).split()[0]


def _local(moment, catalogue):
    return moment.astimezone(schedule.now(catalogue).tzinfo) if moment else None


def add_routes(bp, root: str, page, redirect, signed_in, fragment) -> None:
    """Adds the handover routes to the staff blueprint (`page` renders a page, `fragment` a part of
    one for static/live.js, `redirect` answers 303)."""

    def unavailable(session):
        return page("message.html", 503, title="Even niet beschikbaar", member=session.member, csrf=session.csrf,
                    text="Het gesprek kon nu niet bijgewerkt worden. Probeer het zo meteen opnieuw.")

    def not_yours(session):
        return page("message.html", 404, title="Gesprek niet gevonden", member=session.member, csrf=session.csrf,
                    text="Dat gesprek staat niet (meer) op jouw naam.")

    def own(handover_id: int, session):
        found = HandoverQueue.shared().get(handover_id)
        if found is None or found.state != TALKING or found.staff_name != session.member.name:
            return None
        return found

    def queue_values(session):
        catalogue = load_catalogue()
        queue = HandoverQueue.shared()
        return dict(waiting=[(h, _local(h.asked_at, catalogue)) for h in queue.waiting()],
                    mine=[(h, _local(h.taken_at, catalogue)) for h in queue.talking_with(session.member.name)],
                    csrf=session.csrf)

    @bp.get("/overdracht")
    @signed_in
    async def queue_page(request: Request, session: accounts.Session):
        catalogue = load_catalogue()
        return page("handover_queue.html", title="Wachtrij", member=session.member, live=True,
                    staffed=schedule.is_staffed(catalogue, schedule.now(catalogue)), **queue_values(session))

    @bp.get("/overdracht/lijst")
    @signed_in
    async def queue_list(request: Request, session: accounts.Session):
        return fragment("handover_queue_list.html", **queue_values(session))

    @bp.post("/overdracht/<handover_id:int>/nemen")
    @signed_in
    async def take(request: Request, session: accounts.Session, handover_id: int):
        queue = HandoverQueue.shared()
        name = first_name(session.member)
        if not queue.take(handover_id, session.member.name, name):
            return page("message.html", 409, title="Al genomen", member=session.member, csrf=session.csrf,
                        text="Een collega heeft dit gesprek al, of de burger is weg. Kies een ander in de wachtrij.")
        taken = queue.get(handover_id)
        try:
            await delivery.say_as_staff(request.app.ctx.agent, taken.channel, taken.conversation_id, name,
                                        render("human_handoff_taken", name=name))
        except Exception as error:  # the conversation could not be written: not taken after all
            log.error("handover %d not taken: %s", handover_id, type(error).__name__)
            queue.release(handover_id, session.member.name)
            return unavailable(session)
        return redirect(f"/overdracht/{handover_id}")

    @bp.get("/overdracht/<handover_id:int>")
    @signed_in
    async def talk_page(request: Request, session: accounts.Session, handover_id: int):
        found = own(handover_id, session)
        if found is None:
            return not_yours(session)
        lines = await transcript(request.app.ctx.agent, found.conversation_id)
        return page("handover_talk.html", title="Gesprek met een burger", member=session.member, csrf=session.csrf,
                    handover=found, lines=lines, max_chars=MAX_STAFF_MESSAGE, live=True)

    @bp.get("/overdracht/<handover_id:int>/verloop")
    @signed_in
    async def talk_log(request: Request, session: accounts.Session, handover_id: int):
        found = own(handover_id, session)
        if found is None:
            return fragment("handover_log_lines.html", lines=[], ended=True, status=404)
        lines = await transcript(request.app.ctx.agent, found.conversation_id)
        return fragment("handover_log_lines.html", lines=lines, ended=False)

    @bp.post("/overdracht/<handover_id:int>/bericht")
    @signed_in
    async def send(request: Request, session: accounts.Session, handover_id: int):
        found = own(handover_id, session)
        if found is None:
            return not_yours(session)
        text = " ".join((request.form.get("bericht") or "").split())[:MAX_STAFF_MESSAGE]
        if text:
            try:
                await delivery.say_as_staff(request.app.ctx.agent, found.channel, found.conversation_id,
                                            found.staff_first_name or first_name(session.member), text)
            except Exception as error:
                log.error("staff message in handover %d not written: %s", handover_id, type(error).__name__)
                return unavailable(session)
        return redirect(f"/overdracht/{handover_id}")

    async def end(request: Request, session: accounts.Session, handover_id: int, state: str, key: str):
        found = own(handover_id, session)
        if found is None:
            return not_yours(session)
        try:  # the conversation first: a row ended over a conversation still paused would strand the citizen
            await delivery.say_as_assistant(request.app.ctx.agent, found.channel, found.conversation_id,
                                            render(key), resume=True)
        except Exception as error:
            log.error("handover %d not ended: %s", handover_id, type(error).__name__)
            return unavailable(session)
        HandoverQueue.shared().end(handover_id, state, staff_name=session.member.name)
        return redirect("/overdracht")

    @bp.post("/overdracht/<handover_id:int>/teruggeven")
    @signed_in
    async def hand_back(request: Request, session: accounts.Session, handover_id: int):
        return await end(request, session, handover_id, HANDED_BACK, "human_handoff_back")

    @bp.post("/overdracht/<handover_id:int>/afsluiten")
    @signed_in
    async def close(request: Request, session: accounts.Session, handover_id: int):
        return await end(request, session, handover_id, CLOSED, "human_handoff_closed")


async def transcript(agent, conversation_id: str) -> List[dict]:
    """Who said what, as typed: the staff member serves this citizen, as on the phone."""
    tracker = await agent.tracker_store.retrieve(conversation_id)
    lines = []
    for event in tracker.events if tracker else []:
        kind = getattr(event, "type_name", "")
        if kind == "user" and event.text and not event.text.startswith("/"):  # a button's payload
            lines.append({"who": "Burger", "text": event.text})
        elif kind == "bot" and event.text:
            staff = (event.metadata or {}).get("staff")
            lines.append({"who": "Medewerker" if staff else "Assistent", "text": event.text})
    return lines[-200:]

