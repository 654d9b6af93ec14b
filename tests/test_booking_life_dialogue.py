"""The new flows through the actions, as Rasa runs them: a household in the booking form, the
manage link (open, move, cancel, stop reminders), and a counter's address.

The clock is Thursday 26 November 2026, 10:00 (conftest `clock`); bookings and their queued
messages go to a SQLite file of the test's own.
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import json

import pytest
import sqlalchemy as sa
import yaml

from actions.booking_form import AskBookingPeople, AskBookingTime
from actions.booking_outcome import ActionFinishBooking
from actions.existing_appointments import ActionFinishLookup, ValidateAppointmentLookupForm
from actions.honest_answers import ActionAnswerUnknownFact
from actions.manage_link import ActionOpenManageLink, ActionStopReminders
from bookings import manage_links
from bookings.schema import outbox as outbox_table
from language.household import read_people
from serving.message_guard import hide_manage_token
from tests.conftest import ROOT
from tests.test_booking_form import agenda, form_tracker, run, slots_set, validate  # noqa: F401 - fixtures

DAY = "2026-12-08"
EMAIL = "an.peeters@example.be"


def messages_in(store):
    with store.engine.connect() as conn:
        return conn.execute(sa.select(outbox_table).order_by(outbox_table.c.id)).all()


def link_of(row) -> str:
    message = email.message_from_bytes(row.body, policy=email.policy.default)
    token = manage_links.token_in_text(message.get_body(preferencelist=("plain",)).get_content())
    return manage_links.token_hash(token)


# --- how many people ---------------------------------------------------------------------------


def test_two_children_named_in_the_first_message_need_no_question(clock, agenda):
    answer = validate("ik wil een afspraak voor een kids-id voor mijn twee kinderen in Merksem",
                      intent="book_appointment", entities={"product": "kids_id", "counter": "merksem"})
    slots = slots_set(answer)
    assert slots["booking_people"] == "2" and slots["requested_slot"] == "booking_date"


def test_the_question_names_children_for_a_kids_id_and_offers_up_to_four(clock, agenda):
    answer = run(AskBookingPeople(), form_tracker("", slots={"booking_product": "kids_id"}))
    assert answer.responses == ["booking_ask_people_children"]
    assert [b["title"] for b in answer.buttons()] == ["1 kind", "2 kinderen", "3 kinderen", "4 kinderen"]
    eid = run(AskBookingPeople(), form_tracker("", slots={"booking_product": "eid"}))
    assert eid.responses == ["booking_ask_people"]


@pytest.mark.parametrize("text, people", [("3", "3"), ("mijn man en ik", "2"), ("wij zijn met vier", "4")])
def test_answers_to_how_many(clock, agenda, text, people):
    answer = validate(text, requested="booking_people", slots={"booking_product": "eid"})
    assert slots_set(answer)["booking_people"] == people


def test_five_people_is_refused_with_the_limit_and_the_phone_number(clock, agenda):
    answer = validate("met ons vijven", requested="booking_people", slots={"booking_product": "eid"})
    assert slots_set(answer)["booking_people"] is None
    assert answer.responses == ["booking_people_too_many"] and "4" in answer.text and "03 22 11 333" in answer.text


def test_an_adult_is_not_counted_for_a_kids_id(clock, agenda):
    answer = validate("mijn vrouw en ik", requested="booking_people", slots={"booking_product": "kids_id"})
    assert slots_set(answer)["booking_people"] is None
    assert answer.responses == ["booking_people_children_only"]


def test_a_product_for_one_person_never_asks(clock, agenda):
    answer = validate("een afspraak voor mijn rijbewijs in Merksem", intent="book_appointment",
                      entities={"product": "rijbewijs", "counter": "merksem"})
    assert slots_set(answer)["requested_slot"] == "booking_date"


def test_only_hours_where_the_household_fits_are_offered(clock, agenda):
    day = dt.date(2026, 12, 8)
    for index in range(3):  # Merksem has 3 desks: 9:00 left with none, 9:15 with one
        agenda.book("eid", "merksem", day, dt.time(9, 0), "Iemand", f"p{index}@example.be", 3)
    for index in range(2):
        agenda.book("eid", "merksem", day, dt.time(9, 15), "Iemand", f"q{index}@example.be", 3)
    slots = {"booking_product": "eid", "booking_counter": "merksem", "booking_date": DAY}
    single = run(AskBookingTime(), form_tracker("", slots={**slots, "booking_people": "1"}))
    family = run(AskBookingTime(), form_tracker("", slots={**slots, "booking_people": "4"}))
    assert [b["title"] for b in single.buttons()][0] == "09:15"
    # From 9:15 four people would need 9:15 (1 left) + 9:30 (3): they fit; 9:30 fits too.
    assert [b["title"] for b in family.buttons()][:2] == ["09:15", "09:30"]
    refused = validate("9u15", requested="booking_time", slots={**slots, "booking_people": "4",
                                                               "booking_time": None})
    assert slots_set(refused).get("booking_time") == "09:15"


def test_a_household_booking_is_confirmed_with_its_people_and_queued_once(clock, agenda):
    slots = {"booking_product": "kids_id", "booking_people": "2", "booking_counter": "merksem",
             "booking_date": DAY, "booking_time": "10:00", "booking_name": "An Peeters",
             "booking_contact": EMAIL, "booking_confirmed": True}
    answer = run(ActionFinishBooking(), form_tracker("ja", intent="affirm", slots=slots))
    assert answer.responses == ["booking_made"] and "2 kinderen" in answer.text
    assert "bevestiging" in answer.text and "e-mail" in answer.text
    [booking] = agenda.agenda("merksem", dt.date(2026, 12, 8))
    assert booking.people == 2 and agenda.booked_counts("merksem", dt.date(2026, 12, 8)) == {dt.time(10): 2}
    [row] = messages_in(agenda)
    assert (row.kind, row.recipient) == ("confirmation", EMAIL)
    again = run(ActionFinishBooking(), form_tracker("ja", intent="affirm", slots=slots))  # a retried "ja"
    assert again.responses == ["booking_made"] and len(messages_in(agenda)) == 1


# --- the manage link ---------------------------------------------------------------------------


@pytest.fixture
def linked(clock, agenda):
    slots = {"booking_product": "paspoort", "booking_people": "1", "booking_counter": "merksem",
             "booking_date": DAY, "booking_time": "10:00", "booking_name": "An Peeters",
             "booking_contact": EMAIL, "booking_confirmed": True}
    run(ActionFinishBooking(), form_tracker("ja", intent="affirm", slots=slots))
    [row] = messages_in(agenda)
    return link_of(row)


def test_the_guard_turns_the_token_into_its_hash_before_rasa_sees_it():
    token = manage_links.new_token()
    for text in ['/open_manage_link{"manage_token": "%s"}' % token,
                 "kijk: https://stad.example/chat/#afspraak=%s" % token]:
        rewritten = hide_manage_token(text)
        assert token not in rewritten
        assert json.loads(rewritten[len("/open_manage_link"):]) == {"manage_link": manage_links.token_hash(token)}
    forged = hide_manage_token('/open_manage_link{"manage_link": "%s"}' % ("a" * 64))
    assert "a" * 64 not in forged  # a typed hash is not taken as a link
    assert hide_manage_token("gewoon een vraag") == "gewoon een vraag"


def test_opening_the_link_shows_the_appointment_with_move_cancel_and_stop(clock, agenda, linked):
    answer = run(ActionOpenManageLink(), form_tracker("", intent="open_manage_link", slots={"manage_link": linked}))
    assert answer.responses == ["manage_link_shown"] and "10:00" in answer.text and "Merksem" in answer.text
    assert [b["payload"] for b in answer.buttons()] == ["/reschedule_appointment", "/cancel_appointment",
                                                        "/stop_reminders"]
    assert EMAIL not in answer.text


def test_a_wrong_link_says_so_and_offers_the_way_back(clock, agenda, linked):
    answer = run(ActionOpenManageLink(), form_tracker("", slots={"manage_link": manage_links.token_hash("x")}))
    assert answer.responses == ["manage_link_invalid"] and "03 22 11 333" in answer.text
    assert slots_set(answer) == {"manage_link": None}


def test_cancelling_by_link_needs_no_code_or_contact(clock, agenda, linked):
    form = ValidateAppointmentLookupForm()
    asked = run(form, form_tracker("", intent="cancel_appointment", form="appointment_lookup_form",
                                   slots={"manage_link": linked, "lookup_purpose": "cancel"}))
    assert slots_set(asked)["requested_slot"] == "booking_confirmed"
    done = run(ActionFinishLookup(), form_tracker("ja", intent="affirm", form="appointment_lookup_form", slots={
        "manage_link": linked, "lookup_purpose": "cancel", "booking_confirmed": True}))
    assert done.responses == ["lookup_cancelled"]
    assert [row.kind for row in messages_in(agenda)] == ["confirmation", "cancelled"]
    again = run(ActionOpenManageLink(), form_tracker("", slots={"manage_link": linked}))
    assert again.responses == ["manage_link_cancelled"] and again.buttons() == []


def test_moving_by_link(clock, agenda, linked):
    moved = run(ActionFinishLookup(), form_tracker("ja", intent="affirm", form="appointment_lookup_form", slots={
        "manage_link": linked, "lookup_purpose": "reschedule", "booking_date": "2026-12-09",
        "booking_time": "11:00", "booking_confirmed": True}))
    assert moved.responses == ["lookup_moved"] and "11:00" in moved.text
    assert agenda.booked_counts("merksem", dt.date(2026, 12, 9)) == {dt.time(11): 1}
    assert [row.kind for row in messages_in(agenda)] == ["confirmation", "moved"]


def test_stopping_reminders_by_link(clock, agenda, linked):
    answer = run(ActionStopReminders(), form_tracker("", intent="stop_reminders", slots={"manage_link": linked}))
    assert answer.responses == ["reminders_stopped"]
    shown = run(ActionOpenManageLink(), form_tracker("", slots={"manage_link": linked}))
    assert "/stop_reminders" not in [b["payload"] for b in shown.buttons()]


# --- a counter's address -----------------------------------------------------------------------


def test_the_address_of_a_counter_the_catalogue_knows_it_for(clock):
    tracker = form_tracker("waar is het loket van merksem", intent="ask_unknown_fact",
                           entities={"counter": "merksem", "fact_aspect": "address"}, slots={"counter": "merksem"})
    answer = run(ActionAnswerUnknownFact(), tracker)
    assert answer.responses == ["counter_address_unconfirmed"] and "Burgemeester Jozef Nolfplein 1, 2170 Merksem" in answer.text
    assert "bevestigen" in answer.text  # flagged in the catalogue: said as such


def test_no_address_is_invented_for_a_counter_without_one(clock):
    tracker = form_tracker("adres loket berchem?", intent="ask_unknown_fact",
                           entities={"counter": "berchem", "fact_aspect": "address"}, slots={"counter": "berchem"})
    answer = run(ActionAnswerUnknownFact(), tracker)
    assert not answer.responses[0].startswith("counter_address") and "www.antwerpen.be" in answer.text


# --- the household phrasings of separate writers -----------------------------------------------


def phrases(name):
    return yaml.safe_load((ROOT / "tests" / "nlu" / name).read_text(encoding="utf-8"))["phrases"]


def test_household_sizes_of_the_first_writer_are_read_exactly():
    """This set was used while the reader was written: every phrase must come out right."""
    wrong = [(p["text"], read_people(p["text"])) for p in phrases("household_sizes.yml")
             if (read_people(p["text"]).count, read_people(p["text"]).children_only) != (p["people"], p["children_only"])]
    assert wrong == []


def test_household_sizes_of_the_second_writer_are_never_miscounted():
    """Held out (never looked at while the reader was written, 27 of 40 exact before one round
    of fixes). A count the reader cannot find is fine, since the form then asks; a wrong count
    is not."""
    cases = phrases("household_sizes_fresh.yml")
    readings = [(p, read_people(p["text"])) for p in cases]
    miscounted = [p["text"] for p, got in readings if got.count is not None and got.count != p["people"]]
    exact = sum((got.count, got.children_only) == (p["people"], p["children_only"]) for p, got in readings)
    assert miscounted == [] and exact / len(cases) >= 0.9, (miscounted, exact)


def test_no_more_reminders_typed_without_a_link_says_where(clock, agenda):
    answer = run(ActionStopReminders(), form_tracker("geen herinneringen meer", intent="stop_reminders"))
    assert answer.responses == ["reminders_need_link"]


def test_after_a_form_ends_the_link_is_forgotten(clock, agenda, linked):
    done = run(ActionFinishLookup(), form_tracker("ja", intent="affirm", form="appointment_lookup_form", slots={
        "manage_link": linked, "lookup_purpose": "cancel", "booking_confirmed": True}))
    assert slots_set(done)["manage_link"] is None  # a later "annuleer mijn afspraak" asks for the code


def test_a_link_whose_booking_was_cancelled_meanwhile_ends_the_form_with_the_reason(clock, agenda, linked):
    agenda.cancel(link_hash=linked, today=dt.date(2026, 11, 26))
    form = run(ValidateAppointmentLookupForm(), form_tracker("", intent="reschedule_appointment",
                                                             form="appointment_lookup_form",
                                                             slots={"manage_link": linked, "lookup_purpose": "reschedule"}))
    assert slots_set(form)["form_outcome"] == "link_invalid"
    finish = run(ActionFinishLookup(), form_tracker("", form="appointment_lookup_form",
                                                    slots={"form_outcome": "link_invalid", "manage_link": linked}))
    assert finish.responses == ["manage_link_invalid"]


def test_moving_a_household_offers_only_hours_where_it_fits(clock, agenda):
    day = dt.date(2026, 12, 8)
    family = agenda.book("eid", "merksem", day, dt.time(11), "An Peeters", EMAIL, 3, people=3)
    for index in range(2):  # 9:00 has one place left, 9:15 none
        agenda.book("eid", "merksem", day, dt.time(9, 0), "Iemand", f"p{index}@example.be", 3)
    for index in range(3):
        agenda.book("eid", "merksem", day, dt.time(9, 15), "Iemand", f"q{index}@example.be", 3)
    found = run(ValidateAppointmentLookupForm(), form_tracker(
        EMAIL, form="appointment_lookup_form", requested="lookup_contact",
        slots={"lookup_purpose": "reschedule", "lookup_code": family.code}))
    assert slots_set(found)["booking_people"] == "3"
    times = run(AskBookingTime(), form_tracker("", slots={"booking_counter": "merksem", "booking_date": DAY,
                                                          "booking_people": "3", "booking_product": "eid"}))
    offered = [b["title"] for b in times.buttons()]
    assert "09:00" not in offered and "09:15" not in offered and offered[0] == "09:30"


def test_a_code_given_with_words_of_loss_is_no_lost_code():
    from language.appointment_phrases import says_reference_code_lost

    assert not says_reference_code_lost("ik kan niet meer komen, annuleer ze maar, code K7M2QX")
    assert says_reference_code_lost("ik vind mijn referentiecode nergens meer terug")
    assert not says_reference_code_lost("ik ben mijn pincode kwijt")  # a PIN letter is a document


def test_a_count_answers_the_question_whatever_intent_the_model_gives_it(clock, agenda):
    answer = validate("2 personen", intent="ask_opening_days", requested="booking_people",
                      slots={"booking_product": "eid", "booking_counter": "merksem"})
    assert slots_set(answer)["booking_people"] == "2"
