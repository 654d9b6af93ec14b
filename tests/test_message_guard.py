"""The message guard in front of every channel: length cap, rate limits, repeated deliveries and
faults turned into Dutch answers. Run on a stand-in for Rasa's message handling, so each rule
is seen on its own; the served tests (test_served_faults.py) show them on the real server."""
from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage

from serving.action_calls import ActionServerUnavailable
from serving.conversation_store import ConversationStoreUnavailable
from serving.message_guard import CLIENT_ADDRESS, DELIVERY_KEY, MessageGuard
from serving.rate_limits import Decision, Limit, MemoryCounter, RateLimits, RedisCounter
from serving.replies import server_reply

PHONE = "03 22 11 333"


class Recorder:
    """What reached Rasa's own handling, and what it would raise."""

    def __init__(self, raises: BaseException = None):
        self.seen = []
        self.raises = raises

    async def __call__(self, agent, message):
        if self.raises is not None:
            raise self.raises
        self.seen.append(message)
        await message.output_channel.send_response(message.sender_id, {"text": "antwoord"})
        return message.output_channel.messages


def guard(per_sender="30/60", per_address="120/60", chars=1000, clock=None):
    counter = MemoryCounter(clock=clock) if clock else MemoryCounter()
    limits = RateLimits(counter, Limit.parse(per_sender, "30/60"), Limit.parse(per_address, "120/60"))
    return MessageGuard(limits, chars)


def send(g, recorder, text, sender="citizen", metadata=None, channel="rest"):
    message = UserMessage(text, CollectingOutputChannel(), sender, input_channel=channel, metadata=metadata)
    replies = asyncio.run(g.handle(recorder, None, message))
    return [r.get("text") for r in replies or []]


def test_a_message_over_the_limit_gets_a_dutch_answer_and_goes_no_further():
    g, rasa = guard(chars=1000), Recorder()
    replies = send(g, rasa, "Wanneer is Berchem open? " * 8000)  # 200,000 characters
    assert replies == [server_reply("message_too_long", max_chars=1000)]
    assert "te lang" in replies[0] and "1000 tekens" in replies[0] and PHONE in replies[0]
    assert rasa.seen == []
    assert send(g, rasa, "x" * 1000) == ["antwoord"]  # exactly the limit passes
    assert len(rasa.seen) == 1


def test_the_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("STADSLOKET_MAX_MESSAGE_CHARS", "50")
    g = MessageGuard.from_environment()
    assert g.limit_chars == 50
    assert "50 tekens" in send(g, Recorder(), "a" * 51)[0]


def test_control_characters_are_removed_and_huge_metadata_dropped():
    g, rasa = guard(), Recorder()
    send(g, rasa, "Berchem\x00 open?\x07\nmorgen", metadata={"blob": "x" * 10_000, DELIVERY_KEY: "t:1"})
    message = rasa.seen[0]
    assert message.text == "Berchem open?\nmorgen"
    assert message.metadata == {DELIVERY_KEY: "t:1"}


def test_a_sender_id_of_any_length_is_not_accepted():
    g, rasa = guard(), Recorder()
    assert "kan ik niet verwerken" in send(g, rasa, "hallo", sender="s" * 10_000)[0]
    assert rasa.seen == []


def test_a_flood_of_long_messages_is_rate_limited_too():
    g, rasa = guard(per_sender="2/60"), Recorder()
    replies = [send(g, rasa, "x" * 5000, sender="flood") for _ in range(5)]
    assert ["te lang" in r[0] for r in replies[:2]] == [True, True]
    assert "Wacht even" in replies[2][0] and replies[3:] == [[], []]


def test_rate_limit_per_sender_tells_once_and_leaves_others_alone():
    now = [1000.0]
    g, rasa = guard(per_sender="3/60", clock=lambda: now[0]), Recorder()
    for _ in range(3):
        assert send(g, rasa, "hallo", sender="a") == ["antwoord"]
    refused = send(g, rasa, "hallo", sender="a")
    assert refused == [server_reply("rate_limited")] and "Wacht even" in refused[0]
    assert send(g, rasa, "hallo", sender="a") == []  # told once; a flood is not answered
    assert send(g, rasa, "hallo", sender="b") == ["antwoord"]  # another citizen is unaffected
    now[0] += 61  # the next window
    assert send(g, rasa, "hallo", sender="a") == ["antwoord"]
    assert len(rasa.seen) == 5


def test_rate_limit_per_client_address():
    g, rasa = guard(per_address="2/60"), Recorder()

    def from_address(address, sender):
        token = CLIENT_ADDRESS.set(address)
        try:
            return send(g, rasa, "hallo", sender=sender)
        finally:
            CLIENT_ADDRESS.reset(token)

    assert from_address("203.0.113.7", "s1") == ["antwoord"]
    assert from_address("203.0.113.7", "s2") == ["antwoord"]
    assert "Wacht even" in from_address("203.0.113.7", "s3")[0]  # new senders, same address
    assert from_address("198.51.100.1", "s4") == ["antwoord"]
    assert send(g, rasa, "hallo", sender="s5") == ["antwoord"]  # no address known: per sender only


def test_a_repeated_delivery_is_handled_once():
    g, rasa = guard(), Recorder()
    delivery = {DELIVERY_KEY: "telegram:981"}
    assert send(g, rasa, "ja", metadata=delivery, channel="telegram") == ["antwoord"]
    assert send(g, rasa, "ja", metadata=dict(delivery), channel="telegram") == []
    assert send(g, rasa, "ja", metadata={DELIVERY_KEY: "telegram:982"}, channel="telegram") == ["antwoord"]
    # A retry whose text the channel rewrote (Twilio: "1" or the offered option) is the same delivery.
    assert send(g, rasa, "/inform", metadata={DELIVERY_KEY: "telegram:982"}, channel="telegram") == []
    assert send(g, rasa, "ja") == ["antwoord"]  # no delivery id (REST): nothing to compare
    assert send(g, rasa, "ja") == ["antwoord"]
    assert len(rasa.seen) == 4


@pytest.mark.parametrize(
    "error, key",
    [
        (ActionServerUnavailable("action_finish_booking"), "action_server_unavailable"),
        (ConversationStoreUnavailable("save"), "conversation_store_unavailable"),
        (RuntimeError("Lotte Vermeulen 0470123456"), "technical_problem"),
    ],
)
def test_faults_become_a_dutch_answer_with_the_phone_number(error, key, caplog):
    replies = send(guard(), Recorder(raises=error), "ja")
    assert replies == [server_reply(key)]
    assert PHONE in replies[0] and "Sorry" in replies[0]
    assert "Lotte" not in caplog.text and "0470" not in caplog.text  # the error's text is not logged


def test_limits_are_read_and_checked():
    assert Limit.parse("20/30", "1/1") == Limit(20, 30)
    assert Limit.parse(None, "30/60") == Limit(30, 60)
    assert Limit.parse("off", "30/60") is None
    for bad in ("many", "0/60", "5/-1"):
        with pytest.raises(ValueError):
            Limit.parse(bad, "30/60")


def test_a_failing_counter_lets_messages_through():
    class Broken:
        async def hit(self, key, limit):
            raise ConnectionError("redis is down")

        async def claim(self, key, seconds):
            raise ConnectionError("redis is down")

    limits = RateLimits(Broken(), Limit(1, 60), Limit(1, 60))
    g, rasa = MessageGuard(limits, 1000), Recorder()
    assert send(g, rasa, "hallo", metadata={DELIVERY_KEY: "x:1"}) == ["antwoord"]
    assert send(g, rasa, "hallo", metadata={DELIVERY_KEY: "x:1"}) == ["antwoord"]


def test_memory_counter_stays_bounded():
    counter = MemoryCounter(max_keys=100)
    for n in range(1000):
        asyncio.run(counter.hit(f"sender:{n}", Limit(5, 60)))
    assert len(counter._counts) == 100


def test_redis_counter_is_shared_between_two_servers():
    """Two counters on the machine's Redis (as two replicas would have) count together."""
    url = os.environ.get("STADSLOKET_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    prefix = f"test:{uuid.uuid4().hex}:"

    async def scenario():
        first, second = RedisCounter(url, prefix=prefix), RedisCounter(url, prefix=prefix)
        try:
            limit = Limit(2, 60)
            decisions = [
                await first.hit("sender:a", limit),
                await second.hit("sender:a", limit),
                await first.hit("sender:a", limit),
                await second.hit("sender:a", limit),
                await second.hit("sender:b", limit),
            ]
            claims = [await first.claim("delivery:1", 60), await second.claim("delivery:1", 60)]
            return decisions, claims
        finally:
            await first.close()
            await second.close()

    decisions, claims = asyncio.run(scenario())
    assert decisions == [
        Decision.ALLOWED, Decision.ALLOWED, Decision.REFUSED_FIRST, Decision.REFUSED, Decision.ALLOWED
    ]
    assert claims == [True, False]


class StreamingOutput(OutputChannel):
    """A channel that sends as Rasa speaks (socket.io, messaging apps), with a log of events."""

    def __init__(self, events):
        self.events = events

    @classmethod
    def name(cls):
        return "socketio"

    async def send_response(self, recipient_id, message):
        self.events.append(("sent", message.get("text")))


def test_a_streaming_channel_gets_the_answers_only_after_the_turn_is_saved():
    events = []

    async def rasa(agent, message):
        assert message.output_channel.name() == "socketio"  # channel-specific responses still work
        await message.output_channel.send_response(message.sender_id, {"text": "eerste"})
        await message.output_channel.send_response(message.sender_id, {"text": "tweede"})
        events.append(("tracker saved", None))

    output = StreamingOutput(events)
    message = UserMessage("hallo", output, "citizen", input_channel="socketio")
    asyncio.run(guard().handle(rasa, None, message))
    assert events == [("tracker saved", None), ("sent", "eerste"), ("sent", "tweede")]
    assert message.output_channel is output


def test_when_rasa_fails_the_apology_still_reaches_a_streaming_channel():
    events = []
    output = StreamingOutput(events)
    message = UserMessage("hallo", output, "citizen", input_channel="socketio")
    asyncio.run(guard().handle(Recorder(raises=RuntimeError("kapot")), None, message))
    assert events == [("sent", server_reply("technical_problem"))]
