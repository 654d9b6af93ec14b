"""Answers about documents: visit or not, online or by phone, what to bring, home delivery."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from language import wording
from actions.texts import appointment_note, render, say, send
from actions.tracker_values import product_in
from service_catalogue import Catalogue, Product, load_catalogue
from service_catalogue import schedule


def say_unknown_product(dispatcher: CollectingDispatcher, catalogue: Catalogue, value: str) -> None:
    say(
        dispatcher,
        "unknown_product",
        value=value,
        products=wording.join(p.name for p in catalogue.products.values()),
    )


def remote_route(catalogue: Catalogue, product: Product) -> Optional[str]:
    """How to get a product without a visit, or None when it needs one."""
    kind = {(True, True): "online_phone", (True, False): "online", (False, True): "phone"}
    route = kind.get((product.remote.online, product.remote.phone))
    if product.visit.required or route is None:
        return None
    return render(
        f"product_remote_{route}",
        product=product.name,
        centre=catalogue.contact_centre.name,
        phone=catalogue.contact_centre.phone,
    )


def say_product(dispatcher: CollectingDispatcher, catalogue: Catalogue, product: Product) -> None:
    """Three messages at most: visit or not (and deadline), what to bring, and the extras."""
    if product.visit.required:
        note = appointment_note(catalogue, schedule.today(catalogue))
        first = [render("product_visit", product=product.name, why=product.visit.why, note=note)]
    else:
        first = [remote_route(catalogue, product)]
    if product.legal_deadline:
        first.append(render("product_deadline", deadline=product.legal_deadline.text))
    send(dispatcher, first)
    if product.bring:
        say(dispatcher, "product_bring", items=wording.bullet_list(product.bring.items))
    extras = []
    if product.home_delivery.available:
        extras.append(render("product_delivery", product=product.name))
    if product.home_visit and product.home_visit.available:
        extras.append(render("product_home_visit", when=product.home_visit.when))
    if product.household and product.household.max_people > 1:
        key = "product_household_children" if product.household.children_only else "product_household"
        extras.append(render(key, max=product.household.max_people))
    extras.extend(note.text for note in product.notes)
    send(dispatcher, extras)


def say_products_overview(dispatcher: CollectingDispatcher, catalogue: Catalogue) -> None:
    products = list(catalogue.products.values())
    say(
        dispatcher,
        "products_overview",
        visit_products=wording.join(p.name for p in products if p.visit.required),
        remote_products=wording.join(p.name for p in products if not p.visit.required),
        phone=catalogue.contact_centre.phone,
    )


class ActionAnswerProductChannel(Action):
    def name(self) -> Text:
        return "action_answer_product_channel"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[Dict[Text, Any]]:
        catalogue = load_catalogue()
        product, unknown = product_in(tracker, catalogue)
        if unknown:
            say_unknown_product(dispatcher, catalogue, unknown)
        elif product:
            say_product(dispatcher, catalogue, product)
        else:
            say_products_overview(dispatcher, catalogue)
        return []


class ActionAnswerHomeDelivery(Action):
    def name(self) -> Text:
        return "action_answer_home_delivery"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[Dict[Text, Any]]:
        catalogue = load_catalogue()
        product, unknown = product_in(tracker, catalogue)
        if unknown:
            say_unknown_product(dispatcher, catalogue, unknown)
        elif product and product.home_delivery.available:
            say(dispatcher, "product_delivery", product=product.name)
        elif product:
            send(
                dispatcher,
                [render("product_no_delivery", product=product.name), remote_route(catalogue, product)],
            )
        else:
            delivered = [p.name for p in catalogue.products.values() if p.home_delivery.available]
            say(dispatcher, "home_delivery_overview", products=wording.join(delivered))
        return []
