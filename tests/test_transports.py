"""The message transports against real servers on 127.0.0.1, and the calendar file they attach.

No mocks of smtplib or requests: an aiosmtpd server with STARTTLS and AUTH required (a
self-signed certificate made here), a small HTTP server standing in for Twilio's Messages API,
and closed or silent ports for the failures.
"""
from __future__ import annotations

import base64
import datetime as dt
import email
import email.message
import email.policy
import ipaddress
import json
import logging
import socket
import ssl
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator, List, Tuple
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import icalendar
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from notifications.calendar_file import calendar_file
from notifications.transports import (
    DEFAULT_SENDER,
    FileTransport,
    SmtpTransport,
    TransportError,
    TwilioTransport,
    from_environment,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
SENDER = "Stadsloketten Antwerpen <no-reply@stadsloket.invalid>"
CITIZEN = "an.peeters@voorbeeld.be"
PHONE = "+32470123456"
BODY_TEXT = "Uw afspraak voor een identiteitskaart staat vast op dinsdag 8 december om 9.30 uur."
SMS_TEXT = "Stadsloket Berchem: uw afspraak is dinsdag 8 december om 9.30 uur. Code K7QX-2M."
SMTP_USER, SMTP_PASSWORD = "assistent", "juist-wachtwoord"
TWILIO_SID, TWILIO_TOKEN = "AC0123456789abcdef0123456789abcdef", "geheim-token"
PERSONAL = (CITIZEN, "an.peeters", PHONE, "470123456", BODY_TEXT, "identiteitskaart staat vast", SMS_TEXT, "K7QX-2M")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- a certificate for 127.0.0.1 and localhost ------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> Tuple[Path, Path, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_file.write_bytes(pem)
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file, pem


@pytest.fixture(scope="module")
def server_tls(certificate) -> ssl.SSLContext:
    cert_file, key_file, _ = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


@pytest.fixture(scope="module")
def client_tls(certificate) -> ssl.SSLContext:
    return ssl.create_default_context(cadata=certificate[2].decode("ascii"))


# --- an SMTP server: STARTTLS and AUTH required -----------------------------------------------


class Mailbox:
    """aiosmtpd handler: keeps what it accepts; some recipients get a 4xx or 5xx reply."""

    def __init__(self) -> None:
        self.received: List[Tuple[str, List[str], bytes]] = []
        self.replies: Dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = (
        mechanism in ("LOGIN", "PLAIN")
        and isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


def _serve(**options) -> Iterator[Tuple[Controller, Mailbox]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), auth_required=True,
                            authenticator=authenticator, **options)
    controller.start()
    try:
        yield controller, mailbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_server(server_tls) -> Iterator[Tuple[Controller, Mailbox]]:
    yield from _serve(tls_context=server_tls, require_starttls=True, auth_require_tls=True)


@pytest.fixture
def smtp_ssl_server(server_tls) -> Iterator[Tuple[Controller, Mailbox]]:
    # aiosmtpd counts only STARTTLS as TLS for AUTH; this connection is TLS from the first byte.
    yield from _serve(ssl_context=server_tls, auth_require_tls=False)


def smtp(controller: Controller, client_tls: ssl.SSLContext, password: str = SMTP_PASSWORD, **kwargs) -> SmtpTransport:
    return SmtpTransport(
        "127.0.0.1", controller.port, user=SMTP_USER, password=password, timeout=5.0, ssl_context=client_tls, **kwargs
    )


APPOINTMENT_START = dt.datetime(2026, 12, 8, 9, 30, tzinfo=BRUSSELS)
APPOINTMENT_END = dt.datetime(2026, 12, 8, 9, 45, tzinfo=BRUSSELS)
LOCATION = "District Berchem, Driekoningenstraat 126, 2600 Berchem"
SUMMARY = "Afspraak stadsloket: identiteitskaart"


def confirmation(to: str = CITIZEN) -> email.message.EmailMessage:
    message = email.message.EmailMessage()
    message["From"] = SENDER
    message["To"] = to
    message["Subject"] = "Uw afspraak op 8 december"
    message.set_content(BODY_TEXT)
    message.add_alternative(f"<p>{BODY_TEXT}</p>", subtype="html")
    ics = calendar_file(
        "K7QX-2M@stadsloket.invalid", SUMMARY, BODY_TEXT, LOCATION, APPOINTMENT_START, APPOINTMENT_END,
        url="https://stadsloket.invalid/afspraak",
    )
    message.add_attachment(ics, maintype="text", subtype="calendar", filename="afspraak.ics", params={"method": "REQUEST"})
    return message


def attachment_calendar(raw: bytes) -> icalendar.Calendar:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    attachments = [part for part in parsed.iter_attachments() if part.get_filename() == "afspraak.ics"]
    assert len(attachments) == 1
    assert attachments[0].get_content_type() == "text/calendar"
    return icalendar.Calendar.from_ical(attachments[0].get_payload(decode=True))


def assert_appointment(calendar: icalendar.Calendar) -> None:
    assert calendar["METHOD"] == "REQUEST"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Brussels"]
    (event,) = calendar.walk("VEVENT")
    start = event.decoded("DTSTART")
    assert event["DTSTART"].params["TZID"] == "Europe/Brussels"
    assert (start.hour, start.minute, start.utcoffset()) == (9, 30, dt.timedelta(hours=1))
    assert start == APPOINTMENT_START
    assert str(event["LOCATION"]) == LOCATION
    assert str(event["SUMMARY"]) == SUMMARY


def test_smtp_starttls_and_login_deliver_once_with_a_calendar_attachment(smtp_server, client_tls):
    controller, mailbox = smtp_server
    message_id = smtp(controller, client_tls).send_email(confirmation())

    assert len(mailbox.received) == 1
    mail_from, recipients, raw = mailbox.received[0]
    assert mail_from == "no-reply@stadsloket.invalid"
    assert recipients == [CITIZEN]
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Message-ID"] == message_id and message_id.startswith("<")
    assert parsed.get_body(("plain",)).get_content().strip() == BODY_TEXT
    assert BODY_TEXT in parsed.get_body(("html",)).get_content()
    assert_appointment(attachment_calendar(raw))


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_over_implicit_tls(smtp_ssl_server, client_tls):
    controller, mailbox = smtp_ssl_server
    smtp(controller, client_tls, security="ssl").send_email(confirmation())
    assert [recipients for _, recipients, _ in mailbox.received] == [[CITIZEN]]


def test_smtp_refuses_an_untrusted_certificate(smtp_server):
    controller, mailbox = smtp_server
    transport = SmtpTransport("127.0.0.1", controller.port, user=SMTP_USER, password=SMTP_PASSWORD, timeout=5.0)
    with pytest.raises(TransportError) as failure:
        transport.send_email(confirmation())
    assert not failure.value.permanent
    assert "TLS failed" in str(failure.value)
    assert mailbox.received == []


def test_smtp_wrong_password_is_a_transient_configuration_error(smtp_server, client_tls):
    # 535: the message is fine and goes once the password is fixed, so a caller must keep it.
    controller, mailbox = smtp_server
    with pytest.raises(TransportError) as failure:
        smtp(controller, client_tls, password="fout").send_email(confirmation())
    assert not failure.value.permanent
    assert "535" in str(failure.value)
    assert mailbox.received == []


def test_smtp_server_down_is_transient(client_tls):
    transport = SmtpTransport("127.0.0.1", free_port(), user=SMTP_USER, password=SMTP_PASSWORD, timeout=5.0,
                              ssl_context=client_tls)
    with pytest.raises(TransportError) as failure:
        transport.send_email(confirmation())
    assert not failure.value.permanent


def test_smtp_silent_server_times_out_as_transient(client_tls):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        transport = SmtpTransport("127.0.0.1", silent.getsockname()[1], timeout=0.5, ssl_context=client_tls)
        with pytest.raises(TransportError) as failure:
            transport.send_email(confirmation())
    assert not failure.value.permanent


@pytest.mark.parametrize(
    "reply, permanent",
    [
        (f"450 4.2.1 Mailbox <{CITIZEN}> busy, try again later", False),
        (f"550 5.1.1 <{CITIZEN}>: Recipient address rejected: User unknown", True),
    ],
)
def test_smtp_recipient_refusal(smtp_server, client_tls, reply, permanent):
    controller, mailbox = smtp_server
    mailbox.replies[CITIZEN] = reply
    with pytest.raises(TransportError) as failure:
        smtp(controller, client_tls).send_email(confirmation())
    assert failure.value.permanent is permanent
    assert reply[:3] in str(failure.value)
    assert mailbox.received == []


def test_smtp_security_none_only_on_loopback():
    assert SmtpTransport("127.0.0.1", 25, security="none").security == "none"
    assert SmtpTransport("localhost", 25, security="none").security == "none"
    assert SmtpTransport("::1", 25, security="none").security == "none"
    with pytest.raises(ValueError):
        SmtpTransport("smtp.antwerpen.invalid", 25, security="none")
    with pytest.raises(ValueError):
        SmtpTransport("192.0.2.10", 25, security="none")
    with pytest.raises(ValueError):
        SmtpTransport("127.0.0.1", 25, security="tls-maybe")


# --- a stand-in for Twilio's Messages API -----------------------------------------------------


class FakeTwilio(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), TwilioHandler)
        self.requests: List[Dict[str, object]] = []
        self.status = 201
        self.answer: Dict[str, object] = {"sid": "SM0123456789abcdef0123456789abcdef", "status": "queued"}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class TwilioHandler(BaseHTTPRequestHandler):
    server: FakeTwilio

    def log_message(self, format: str, *args) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode("utf-8")).items()}
        expected_auth = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        self.server.requests.append({"path": self.path, "form": form, "content_type": self.headers.get("Content-Type")})
        if self.headers.get("Authorization") != expected_auth:
            status, answer = 401, {"code": 20003, "message": "Authenticate", "status": 401}
        elif self.path != f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json":
            status, answer = 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
        else:
            status, answer = self.server.status, self.server.answer
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    server = FakeTwilio()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def twilio_transport(server_url: str, token: str = TWILIO_TOKEN, **kwargs) -> TwilioTransport:
    kwargs.setdefault("sender", "+3235550000")
    return TwilioTransport(TWILIO_SID, token, base_url=server_url, timeout=5.0, **kwargs)


def test_twilio_sends_the_form_with_basic_auth_and_returns_the_sid(twilio):
    sid = twilio_transport(twilio.url).send_sms(PHONE, SMS_TEXT)
    assert sid == "SM0123456789abcdef0123456789abcdef"
    (request,) = twilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert request["content_type"] == "application/x-www-form-urlencoded"
    assert request["form"] == {"To": PHONE, "Body": SMS_TEXT, "From": "+3235550000"}


def test_twilio_with_a_messaging_service(twilio):
    twilio_transport(twilio.url, sender=None, messaging_service_sid="MG0123").send_sms(PHONE, "Hallo é ü")
    assert twilio.requests[0]["form"] == {"To": PHONE, "Body": "Hallo é ü", "MessagingServiceSid": "MG0123"}


@pytest.mark.parametrize(
    "status, answer, permanent",
    [
        (400, {"code": 21211, "message": f"The 'To' number {PHONE} is not a valid phone number.", "status": 400}, True),
        (503, {"message": "Service unavailable"}, False),
        (429, {"code": 20429, "message": "Too Many Requests", "status": 429}, False),
    ],
)
def test_twilio_refusals(twilio, status, answer, permanent):
    twilio.status, twilio.answer = status, answer
    with pytest.raises(TransportError) as failure:
        twilio_transport(twilio.url).send_sms(PHONE, SMS_TEXT)
    assert failure.value.permanent is permanent
    assert str(status) in str(failure.value)
    assert len(twilio.requests) == 1


def test_twilio_wrong_token_is_a_transient_configuration_error(twilio):
    with pytest.raises(TransportError) as failure:
        twilio_transport(twilio.url, token="fout").send_sms(PHONE, SMS_TEXT)
    assert not failure.value.permanent
    assert "401" in str(failure.value)


def test_twilio_unreachable_is_transient():
    with pytest.raises(TransportError) as failure:
        twilio_transport(f"http://127.0.0.1:{free_port()}").send_sms(PHONE, SMS_TEXT)
    assert not failure.value.permanent


def test_twilio_silent_server_times_out_as_transient():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        transport = TwilioTransport(TWILIO_SID, TWILIO_TOKEN, sender="+3235550000",
                                    base_url=f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.5)
        with pytest.raises(TransportError) as failure:
            transport.send_sms(PHONE, SMS_TEXT)
    assert not failure.value.permanent
    assert "in time" in str(failure.value)


# --- the outbox ---------------------------------------------------------------------------------


def test_file_transport_writes_readable_eml_and_txt(tmp_path):
    outbox = FileTransport(tmp_path / "outbox")
    first = outbox.send_email(confirmation())
    second = outbox.send_email(confirmation())
    sms = outbox.send_sms(PHONE, SMS_TEXT)

    assert first != second
    assert sorted(path.name for path in (tmp_path / "outbox").iterdir()) == sorted([first, second, sms])
    for name in (first, second, sms):
        stamp, _, rest = name.partition("-")
        assert dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ")
        assert (tmp_path / "outbox" / name).stat().st_mode & 0o077 == 0
    assert first.endswith(".eml") and sms.endswith(".txt")

    raw = (tmp_path / "outbox" / first).read_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["To"] == CITIZEN and parsed["Message-ID"]
    assert_appointment(attachment_calendar(raw))
    assert (tmp_path / "outbox" / sms).read_text(encoding="utf-8") == f"Aan: {PHONE}\n\n{SMS_TEXT}\n"


def test_many_messages_in_one_second_get_their_own_files(tmp_path):
    outbox = FileTransport(tmp_path)
    names = {outbox.send_sms(PHONE, f"bericht {n}") for n in range(50)}
    assert len(names) == 50 == len(list(tmp_path.iterdir()))


# --- configuration ------------------------------------------------------------------------------


def test_environment_default_is_the_outbox(tmp_path):
    transports = from_environment({}, root=tmp_path)
    assert isinstance(transports.email, FileTransport) and transports.email is transports.sms
    assert transports.email.folder == tmp_path / "var" / "outbox"
    assert transports.sender == DEFAULT_SENDER
    absolute = from_environment({"STADSLOKET_OUTBOX_DIR": str(tmp_path / "elders")}, root=Path("/nowhere"))
    assert absolute.email.folder == tmp_path / "elders"


def test_environment_chooses_smtp_when_a_host_is_set(tmp_path):
    transports = from_environment(
        {"STADSLOKET_SMTP_HOST": "smtp.antwerpen.invalid", "STADSLOKET_SMTP_USER": "u",
         "STADSLOKET_SMTP_PASSWORD": "p", "STADSLOKET_MAIL_FROM": "Loket <loket@antwerpen.invalid>"},
        root=tmp_path,
    )
    assert isinstance(transports.email, SmtpTransport) and isinstance(transports.sms, FileTransport)
    assert (transports.email.host, transports.email.port, transports.email.security) == ("smtp.antwerpen.invalid", 587, "starttls")
    assert transports.sender == "Loket <loket@antwerpen.invalid>"
    ssl_transports = from_environment({"STADSLOKET_SMTP_HOST": "smtp.antwerpen.invalid", "STADSLOKET_SMTP_SECURITY": "ssl"})
    assert ssl_transports.email.port == 465


def test_environment_chooses_twilio_when_set(tmp_path):
    transports = from_environment(
        {"STADSLOKET_TWILIO_ACCOUNT_SID": TWILIO_SID, "STADSLOKET_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
         "STADSLOKET_TWILIO_MESSAGING_SERVICE_SID": "MG0123", "STADSLOKET_TWILIO_API_URL": "http://127.0.0.1:9/"},
        root=tmp_path,
    )
    assert isinstance(transports.sms, TwilioTransport) and isinstance(transports.email, FileTransport)
    assert transports.sms.url == f"http://127.0.0.1:9/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"


@pytest.mark.parametrize(
    "env, missing",
    [
        ({"STADSLOKET_TWILIO_ACCOUNT_SID": TWILIO_SID, "STADSLOKET_TWILIO_FROM": "+3235550000"}, "STADSLOKET_TWILIO_AUTH_TOKEN"),
        ({"STADSLOKET_TWILIO_AUTH_TOKEN": TWILIO_TOKEN}, "STADSLOKET_TWILIO_ACCOUNT_SID"),
        ({"STADSLOKET_TWILIO_ACCOUNT_SID": TWILIO_SID, "STADSLOKET_TWILIO_AUTH_TOKEN": TWILIO_TOKEN}, "STADSLOKET_TWILIO_FROM"),
        ({"STADSLOKET_SMTP_USER": "u", "STADSLOKET_SMTP_PASSWORD": "p"}, "STADSLOKET_SMTP_HOST"),
        ({"STADSLOKET_SMTP_HOST": "smtp.antwerpen.invalid", "STADSLOKET_SMTP_USER": "u"}, "STADSLOKET_SMTP_PASSWORD"),
    ],
)
def test_environment_refuses_half_configurations(tmp_path, env, missing):
    with pytest.raises(ValueError, match=missing):
        from_environment(env, root=tmp_path)


def test_environment_refuses_plain_smtp_to_another_host(tmp_path):
    with pytest.raises(ValueError, match="loopback"):
        from_environment({"STADSLOKET_SMTP_HOST": "smtp.antwerpen.invalid", "STADSLOKET_SMTP_SECURITY": "none"}, root=tmp_path)
    local = from_environment({"STADSLOKET_SMTP_HOST": "127.0.0.1", "STADSLOKET_SMTP_SECURITY": "none"}, root=tmp_path)
    assert local.email.security == "none"


# --- no personal data in logs or errors ---------------------------------------------------------


def assert_no_personal_data(text: str) -> None:
    for secret in PERSONAL + (SMTP_PASSWORD, TWILIO_TOKEN):
        assert secret not in text, f"personal data or a secret leaked: {secret!r}"


def test_no_personal_data_in_logs_or_errors(caplog, smtp_server, client_tls, twilio, tmp_path):
    controller, mailbox = smtp_server
    errors: List[TransportError] = []
    caplog.set_level(logging.DEBUG)

    def attempt(send) -> None:
        try:
            send()
        except TransportError as error:
            errors.append(error)
            logging.getLogger("test").exception("sending failed")

    attempt(lambda: smtp(controller, client_tls, password="fout").send_email(confirmation()))
    mailbox.replies[CITIZEN] = f"550 5.1.1 <{CITIZEN}>: Recipient address rejected"
    attempt(lambda: smtp(controller, client_tls).send_email(confirmation()))
    mailbox.replies[CITIZEN] = f"451 4.3.0 <{CITIZEN}>: Temporary lookup failure"
    attempt(lambda: smtp(controller, client_tls).send_email(confirmation()))
    attempt(lambda: SmtpTransport("127.0.0.1", free_port(), timeout=5.0).send_email(confirmation()))
    twilio.status, twilio.answer = 400, {"code": 21211, "message": f"The 'To' number {PHONE} is not valid.", "status": 400}
    attempt(lambda: twilio_transport(twilio.url).send_sms(PHONE, SMS_TEXT))
    twilio.status, twilio.answer = 503, {"message": f"Could not send {SMS_TEXT} to {PHONE}"}
    attempt(lambda: twilio_transport(twilio.url).send_sms(PHONE, SMS_TEXT))
    attempt(lambda: twilio_transport(twilio.url, token="fout").send_sms(PHONE, SMS_TEXT))
    attempt(lambda: twilio_transport(f"http://127.0.0.1:{free_port()}").send_sms(PHONE, SMS_TEXT))
    mailbox.replies.clear()
    twilio.status, twilio.answer = 201, {"sid": "SM1"}
    smtp(controller, client_tls).send_email(confirmation())
    twilio_transport(twilio.url).send_sms(PHONE, SMS_TEXT)
    FileTransport(tmp_path).send_sms(PHONE, SMS_TEXT)
    FileTransport(tmp_path).send_email(confirmation())

    assert len(errors) == 8
    for error in errors:
        assert_no_personal_data(str(error))
        assert_no_personal_data("".join(traceback.format_exception(type(error), error, error.__traceback__)))

    # aiosmtpd's own server log ("mail.log") is the test server's, not ours: it quotes addresses.
    ours = [record for record in caplog.records if not record.name.startswith("mail.")]
    assert any(record.name == "notifications.transports" for record in ours)
    assert sum("will retry" in record.getMessage() for record in ours) >= 5
    formatter = logging.Formatter()
    for record in ours:
        assert_no_personal_data(formatter.format(record))


# --- the calendar file ------------------------------------------------------------------------


def test_calendar_file_request():
    data = calendar_file("ABC@stadsloket.invalid", SUMMARY, "Breng uw oude kaart mee.", LOCATION,
                         APPOINTMENT_START, APPOINTMENT_END, sequence=3, url="https://stadsloket.invalid/a/ABC")
    text = data.decode("utf-8")
    assert "DTSTART;TZID=Europe/Brussels:20261208T093000\r\n" in text
    assert "DTEND;TZID=Europe/Brussels:20261208T094500\r\n" in text
    calendar = icalendar.Calendar.from_ical(data)
    assert (calendar["VERSION"], calendar["METHOD"]) == ("2.0", "REQUEST")
    assert "PRODID" in calendar
    (event,) = calendar.walk("VEVENT")
    assert (str(event["UID"]), event["SEQUENCE"], str(event["STATUS"])) == ("ABC@stadsloket.invalid", 3, "CONFIRMED")
    assert str(event["URL"]) == "https://stadsloket.invalid/a/ABC"
    stamp = event.decoded("DTSTAMP")
    assert stamp.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.timezone.utc) - stamp) < dt.timedelta(minutes=1)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(minutes=15)
    (timezone,) = calendar.walk("VTIMEZONE")
    assert timezone["TZID"] == "Europe/Brussels"
    assert timezone.walk("DAYLIGHT") and timezone.walk("STANDARD")


def test_calendar_file_summer_time_and_utc_input():
    start = dt.datetime(2027, 7, 1, 12, 0, tzinfo=dt.timezone.utc)  # 14:00 in Brussels
    data = calendar_file("S@x", "s", "d", "l", start, start + dt.timedelta(minutes=30))
    assert b"DTSTART;TZID=Europe/Brussels:20270701T140000" in data
    assert icalendar.Calendar.from_ical(data).walk("VEVENT")[0].decoded("DTSTART") == start


def test_calendar_file_cancelled():
    data = calendar_file("ABC@stadsloket.invalid", SUMMARY, "Geannuleerd.", LOCATION, APPOINTMENT_START,
                         APPOINTMENT_END, cancelled=True, sequence=1)
    calendar = icalendar.Calendar.from_ical(data)
    assert calendar["METHOD"] == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert (str(event["STATUS"]), event["SEQUENCE"]) == ("CANCELLED", 1)
    assert "URL" not in event


def test_calendar_file_folds_long_lines_and_parses_back_equal():
    description = ("Breng uw oude identiteitskaart en een recente pasfoto mee; betalen kan met Bancontact. "
                   "Vergeet uw afspraakcode niet — één keer tonen volstaat. ") * 8
    data = calendar_file("F@x", SUMMARY, description, LOCATION, APPOINTMENT_START, APPOINTMENT_END)
    lines = data.split(b"\r\n")
    assert any(line.startswith(b" ") for line in lines)
    assert max(len(line) for line in lines) <= 75
    assert b"\n" not in data.replace(b"\r\n", b"")
    (event,) = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert str(event["DESCRIPTION"]) == description


def test_calendar_file_refuses_naive_or_reversed_times():
    with pytest.raises(ValueError):
        calendar_file("N@x", "s", "d", "l", dt.datetime(2026, 12, 8, 9, 30), dt.datetime(2026, 12, 8, 9, 45))
    with pytest.raises(ValueError):
        calendar_file("R@x", "s", "d", "l", APPOINTMENT_END, APPOINTMENT_START)
