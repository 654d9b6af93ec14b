"""The benchmark's own arithmetic: folds, confusion, targets, merging reports, the booking driver.

The measurements themselves run only in `make bench`; what is checked here is that the figures
they produce are computed right, so a report cannot look better than the run was.
"""
from __future__ import annotations

import json
from collections import Counter

import pytest

from bench import report
from bench.conversations import CONTACT_QUESTION, NAME_QUESTION, _next_message
from bench.throughput import NAME
from bench.understanding import (
    TARGETS,
    checks,
    confusion,
    other_training_blocks,
    out_of_scope_recall,
    scored,
    stratified_folds,
    training_examples,
)
from evaluation.nlu_examples import Example


def parse(intent):
    return {"intent": {"name": intent}, "entities": []}


def test_folds_cover_every_training_example_once_and_spread_each_intent():
    examples = training_examples()
    folds = stratified_folds(examples, 5, seed=2020)
    flat = [i for fold in folds for i in fold]
    assert sorted(flat) == list(range(len(examples)))
    sizes = [len(f) for f in folds]
    assert max(sizes) - min(sizes) <= 20
    for intent, total in Counter(e.intent for e in examples).items():
        per_fold = [sum(examples[i].intent == intent for i in fold) for fold in folds]
        assert max(per_fold) - min(per_fold) <= 1, intent


def test_folds_depend_on_the_seed_only():
    examples = training_examples()
    assert stratified_folds(examples, 5, 1) == stratified_folds(examples, 5, 1)
    assert stratified_folds(examples, 5, 1) != stratified_folds(examples, 5, 2)


def test_training_vocabulary_blocks_are_not_intents():
    assert all("intent" not in block for block in other_training_blocks())


def test_confusion_counts_rows_by_label_and_keeps_the_fallback_column():
    examples = [Example("greet", "hallo"), Example("greet", "dag"), Example("thank", "merci")]
    parses = [parse("greet"), parse("nlu_fallback"), parse("greet")]
    matrix = confusion(examples, parses)
    assert matrix["rows"] == ["greet", "thank"]
    assert matrix["columns"] == ["greet", "thank", "nlu_fallback"]
    assert matrix["matrix"] == [[1, 0, 1], [1, 0, 0]]


def test_out_of_scope_recall_counts_the_fallback_as_recognised():
    examples = [Example("out_of_scope", t) for t in "abcd"] + [Example("greet", "hallo")]
    parses = [parse("out_of_scope"), parse("nlu_fallback"), parse("greet"), parse("out_of_scope"),
              parse("out_of_scope")]
    recall = out_of_scope_recall(examples, parses)
    assert recall == {"examples": 4, "recall": 0.75, "recall_as_out_of_scope_only": 0.5}


def test_checks_compare_each_figure_with_its_target():
    examples = [Example("greet", "hallo"), Example("out_of_scope", "pizza")]
    plain = scored(examples, [parse("greet"), parse("out_of_scope")])
    typos = scored(examples, [parse("greet"), parse("greet")])
    result = checks(plain, typos)
    assert set(result) == set(TARGETS)
    assert result["intent_accuracy_min"] == {"target": 0.97, "measured": 1.0, "met": True}
    assert result["typo_points_lost_max"]["measured"] == 50.0
    assert result["typo_points_lost_max"]["met"] is False


def test_a_partial_run_keeps_the_other_phases_and_marks_them(tmp_path):
    previous = {"machine": {"date": "2026-11-27T07:00:00+00:00"},
                "ours": {"latency": {"x": 1}, "training": {"y": 2}}, "stock": {"latency": {"z": 3}},
                "phase_seconds": {"latency": 10}}
    (tmp_path / "benchmark.json").write_text(json.dumps(previous))
    now = {"ours": {"training": {"y": 5}}, "stock": {}, "phase_seconds": {"training": 4}}
    merged = report.merged_with_previous(now, tmp_path)
    assert merged["ours"] == {"training": {"y": 5}, "latency": {"x": 1}}
    assert merged["stock"] == {"latency": {"z": 3}}
    assert merged["carried_over"] == {"ours.latency": "2026-11-27T07:00:00+00:00",
                                      "stock.latency": "2026-11-27T07:00:00+00:00"}
    assert merged["phase_seconds"] == {"latency": 10, "training": 4}


@pytest.mark.parametrize(
    "messages, expected",
    [
        ([{"text": "Welk document?", "buttons": [{"title": "eID", "payload": "/inform"}]}], "/inform"),
        ([{"text": f"{NAME_QUESTION} mag ik de afspraak zetten?"}], NAME),
        ([{"text": f"Op welk {CONTACT_QUESTION} kunnen we je bereiken?"}], "iemand@example.be"),
        ([{"text": "Sorry, dat begreep ik niet."}], None),
    ],
)
def test_the_booking_driver_answers_like_a_hurried_citizen(messages, expected):
    assert _next_message(messages, "iemand@example.be") == expected


def test_the_table_says_which_understanding_targets_are_missed():
    examples = [Example("greet", "hallo"), Example("thank", "merci")]
    plain = scored(examples, [parse("greet"), parse("greet")])
    results = {
        "machine": {"date": "2026-11-27", "nproc": 2, "cpu_model": "cpu", "ram_gb": 1,
                    "load_average_at_start": [0.1], "python": "3.10", "rasa": "3.6.21",
                    "rasa_sdk": "3.6.2"},
        "settings": {"BENCH_LABEL": "full", "BENCH_MESSAGES": 1, "BENCH_FOOTPRINT_MESSAGES": 1},
        "ours": {"understanding": {"test_set": plain, "typo_copy": plain, "mean_parse_ms": 9.0,
                                   "targets": checks(plain, plain)}},
        "stock": {},
        "comparison": [],
    }
    table = report.markdown(results)
    assert "| intent accuracy, held-out set | ≥ 0.97 | 0.50 | **no** |" in table
    assert "| counter/product entity F1 | ≥ 0.97 |" in table


def test_speed_targets_take_the_best_clean_level_and_flag_misses():
    def level(c, rate, p95, errors=0, lost=0):
        return {"concurrency": c, "messages_per_second": rate, "latency": {"p95_ms": p95},
                "errors": errors, "bookings": {"lost": lost}}

    results = {
        "ours": {
            "latency": {"latency": {"p50_ms": 40.0, "p95_ms": 120.0, "p99_ms": 150.0}},
            "throughput": {"levels": [level(1, 10.0, 90.0), level(5, 30.0, 300.0),
                                      level(20, 45.0, 900.0), level(50, 50.0, 300.0, errors=1)]},
            "footprint": {"messages": 10000, "memory": {"rasa": {"growth_percent": 2.0},
                                                         "actions": {"growth_percent": 7.5}}},
        }
    }
    targets = report.speed_targets(results)
    assert targets["latency p50 (ms)"]["met"] is True
    assert targets["latency p95 (ms)"]["met"] is False
    clean = targets["throughput with p95 <= 400 ms, no errors, no lost bookings (msg/s)"]
    assert clean["measured"] == 30.0 and clean["met"] is False
    assert "50.0 msg/s at 50 citizens" in clean["note"]
    assert targets["errors at any concurrency"] == {"target": 0, "at_most": True, "measured": 1,
                                                    "met": False}
    assert targets["RSS growth of the actions server after 10000 messages (%)"]["met"] is False
    assert targets["RSS growth of the rasa server after 10000 messages (%)"]["met"] is True


def test_publishing_puts_the_table_between_the_markers_and_refuses_smoke_runs(tmp_path):
    from bench import publish

    reports = tmp_path / "reports"
    (reports / "bench").mkdir(parents=True)
    (reports / "bench" / "latency_histogram.png").write_bytes(b"png")
    (reports / "bench" / "README-table.md").write_text("| a | b |\n")
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{publish.START}\nold table\n{publish.END}\noutro\n")
    run = {"settings": {"BENCH_LABEL": "full"}, "plots": ["bench/latency_histogram.png"]}
    (reports / "benchmark.json").write_text(json.dumps(run))
    copied = publish.publish(reports, readme, tmp_path / "docs")
    assert readme.read_text() == f"intro\n{publish.START}\n| a | b |\n{publish.END}\noutro\n"
    assert [p.name for p in copied] == ["latency_histogram.png"]
    run["settings"]["BENCH_LABEL"] = "smoke"
    (reports / "benchmark.json").write_text(json.dumps(run))
    with pytest.raises(SystemExit):
        publish.publish(reports, readme, tmp_path / "docs")
