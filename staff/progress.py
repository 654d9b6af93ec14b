"""What a team lead sees: per topic, fact and trainee how often a fact was missed or got wrong,
as a table, a bar chart (SVG drawn on the server, no script) and CSV."""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Tuple

from service_catalogue import load_catalogue
from staff.practice.scenarios import spoken_name, topics
from staff.practice.wording import texts

BAR_WIDTH = 320
LABEL_WIDTH = 200  # the least room for labels
ROW_HEIGHT = 28


def _label(fact_key: str) -> str:
    """'levering aan huis (paspoort)': the fact's Dutch label and the catalogue's name of what it
    is about (the id when the catalogue no longer has it)."""
    fact_id, _, subject = fact_key.partition(":")
    label = texts()["fact_labels"].get(fact_id, fact_id)
    if not subject:
        return label
    catalogue = load_catalogue()
    if subject in catalogue.products:
        return f"{label} ({spoken_name(subject, catalogue.products[subject].name)})"
    counter = catalogue.counters.get(subject)
    return f"{label} ({counter.name if counter else subject})"


def _counts(results: Iterable[Dict[str, Any]], by_trainee: bool) -> Dict[Tuple, List[int]]:
    counts: Dict[Tuple, List[int]] = {}
    for r in results:
        key = (r["topic"], r["fact_key"], r["trainee"] if by_trainee else "")
        entry = counts.setdefault(key, [0, 0])
        entry[0] += 1
        entry[1] += r["outcome"] != "hit"
    return counts


def missed_rows(results: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    names = topics()
    rows = [
        {"topic": names.get(topic, topic), "fact": _label(fact_key), "trainee": trainee, "asked": asked, "missed": missed}
        for (topic, fact_key, trainee), (asked, missed) in _counts(results, True).items()
    ]
    return sorted(rows, key=lambda r: (r["topic"], r["fact"], r["trainee"]))


def csv_rows(results: List[Dict[str, Any]]) -> List[List[Any]]:
    header = ["onderwerp", "feit", "medewerker", "gevraagd", "gemist_of_fout"]
    return [header] + [[r["topic"], r["fact"], r["trainee"], r["asked"], r["missed"]] for r in missed_rows(results)]


def chart(title: str, results: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Bars of the share missed per fact, grouped by topic, most missed first within a topic."""
    names = topics()
    order = list(names)
    per_fact = _counts(results, False)
    ordered = sorted(
        per_fact.items(),
        key=lambda kv: (order.index(kv[0][0]) if kv[0][0] in order else len(order), -kv[1][1] / kv[1][0], kv[0][1]),
    )
    rows: List[Dict[str, Any]] = []
    topic_shown = None
    for (topic, fact_key, _), (asked, missed) in ordered:
        if topic != topic_shown:
            rows.append({"heading": names.get(topic, topic), "y": len(rows) * ROW_HEIGHT})
            topic_shown = topic
        percent = round(100 * missed / asked)
        rows.append({"label": _label(fact_key), "percent": percent, "width": round(BAR_WIDTH * percent / 100),
                     "y": len(rows) * ROW_HEIGHT, "asked": asked})
    # Room for the longest label at 13 px (about 7 px a character), so no label runs into its bar.
    left = max(LABEL_WIDTH, 24 + 7 * max((len(r["label"]) for r in rows if "label" in r), default=0))
    return {"title": title, "bars": rows, "left": left, "width": left + BAR_WIDTH + 60,
            "height": max(ROW_HEIGHT, len(rows) * ROW_HEIGHT)}


def charts(results: List[Dict[str, Any]], team_title: str) -> List[Dict[str, Any]]:
    """One chart for the whole team, then one per trainee."""
    found = [chart(team_title, results)]
    for trainee in sorted({r["trainee"] for r in results}):
        found.append(chart(trainee, [r for r in results if r["trainee"] == trainee]))
    return found
