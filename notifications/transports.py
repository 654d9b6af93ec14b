"""How booking confirmations leave the assistant: e-mail by SMTP, SMS by Twilio, or files in an outbox.

Without configuration everything goes to files (`FileTransport`), so a developer can open what a
citizen would have received and nothing leaves the machine by accident. A failure raises
`TransportError` whose `permanent` tells the caller whether a later retry can help. Neither log
records nor exception messages ever carry an address, a phone number or a message text, and the
exceptions are raised without their cause attached (a server's reply often quotes the address).

Configuration, read by `from_environment` (an empty value counts as unset):

    STADSLOKET_SMTP_HOST        when set, e-mail goes by SMTP; else to the outbox folder
    STADSLOKET_SMTP_PORT        default 587, or 465 with security "ssl"
    STADSLOKET_SMTP_USER        login name; when set, STADSLOKET_SMTP_PASSWORD must be too
    STADSLOKET_SMTP_PASSWORD
    STADSLOKET_SMTP_SECURITY    starttls (default) | ssl | none ("none" only for a loopback host)
    STADSLOKET_MAIL_FROM        default "Stadsloketten Antwerpen <no-reply@stadsloket.invalid>"
    STADSLOKET_TWILIO_ACCOUNT_SID, STADSLOKET_TWILIO_AUTH_TOKEN
                                when both are set, SMS go by Twilio; else to the outbox folder
    STADSLOKET_TWILIO_FROM or STADSLOKET_TWILIO_MESSAGING_SERVICE_SID
                                the sender; one of them is required with Twilio
    STADSLOKET_TWILIO_API_URL   default https://api.twilio.com (tests point it at a local server)
    STADSLOKET_OUTBOX_DIR       the file transport's folder; default var/outbox (relative paths
                                are taken from the repository root)

A half-set configuration (an SMTP user without password or host, a Twilio SID without token or
sender, ...) is a ValueError naming the missing variable, not a silent fallback to files.

Which failures are permanent: an SMTP 5xx reply to the sender, a recipient or the message, and a
Twilio 4xx answer (invalid number, body refused). Transient: connection refused, timeouts, TLS
failures, 4xx SMTP replies, Twilio 5xx and 429. Rejected credentials (SMTP 535, Twilio 401) are
reported as transient on purpose: the message itself is fine and goes once an operator fixes the
configuration, so a caller must not give up on it; they are logged at ERROR so they get noticed.

SMTP is synchronous (smtplib): call it from async code through an executor.
"""
from __future__ import annotations

import datetime as dt
import email.message
import email.utils
import ipaddress
import logging
import os
import secrets
import smtplib
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Protocol

import requests

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SENDER = "Stadsloketten Antwerpen <no-reply@stadsloket.invalid>"
DEFAULT_OUTBOX = "var/outbox"
TWILIO_API_URL = "https://api.twilio.com"
SECURITY_MODES = ("starttls", "ssl", "none")


class TransportError(Exception):
    """Sending failed; `permanent` says whether retrying can help. Message without personal data."""

    def __init__(self, reason: str, permanent: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class EmailTransport(Protocol):
    def send_email(self, message: email.message.EmailMessage) -> str: ...


class SmsTransport(Protocol):
    def send_sms(self, to: str, text: str) -> str: ...


def _fail(reason: str, permanent: bool, level: int = logging.WARNING) -> TransportError:
    """Logs the reason (no personal data in it) and returns the exception to raise."""
    log.log(level, "%s; %s", reason, "will not retry" if permanent else "will retry")
    return TransportError(reason, permanent=permanent)


def _complete_headers(message: email.message.EmailMessage) -> str:
    """Adds Date and Message-ID when missing (on the caller's message) and returns the Message-ID."""
    if message["Date"] is None:
        message["Date"] = email.utils.format_datetime(dt.datetime.now(dt.timezone.utc))
    if message["Message-ID"] is None:
        _, sender = email.utils.parseaddr(str(message["From"] or ""))
        domain = sender.rpartition("@")[2] or "stadsloket.invalid"
        message["Message-ID"] = email.utils.make_msgid(domain=domain)
    return str(message["Message-ID"])


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _smtp_failure(exc: BaseException) -> TransportError:
    """The TransportError (logged) for an smtplib or socket failure: reply codes only, never reply texts."""
    prefix = "e-mail not sent: SMTP server"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        summary = ", ".join(str(code) for code in codes) or "no recipient"
        return _fail(f"{prefix} refused the recipient ({summary})", all(code >= 500 for code in codes))
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # Transient on purpose: the message is fine and goes once the credentials are fixed.
        return _fail(f"{prefix} rejected the login ({exc.smtp_code}); check STADSLOKET_SMTP_USER and "
                     "STADSLOKET_SMTP_PASSWORD", False, logging.ERROR)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return _fail(f"{prefix} refused the sender ({exc.smtp_code})", exc.smtp_code >= 500)
    if isinstance(exc, smtplib.SMTPDataError):
        return _fail(f"{prefix} refused the message ({exc.smtp_code})", exc.smtp_code >= 500)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return _fail(f"{prefix} does not offer STARTTLS or AUTH", False, logging.ERROR)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _fail(f"{prefix} refused ({exc.smtp_code})", exc.smtp_code >= 500)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return _fail(f"{prefix} closed the connection", False)
    if isinstance(exc, ssl.SSLError):
        return _fail(f"{prefix}: TLS failed ({type(exc).__name__})", False, logging.ERROR)
    if isinstance(exc, TimeoutError):
        return _fail(f"{prefix} did not answer in time", False)
    if isinstance(exc, smtplib.SMTPException):
        return _fail(f"{prefix} error ({type(exc).__name__})", False)
    return _fail(f"{prefix} unreachable ({type(exc).__name__})", False)


class FileTransport:
    """The embedded default: each message becomes a file a developer can open (mode 0600: personal data)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def _write(self, suffix: str, data: bytes) -> str:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        for _ in range(5):  # 48 random bits: a clash is already unlikely once
            name = f"{stamp}-{secrets.token_hex(6)}{suffix}"
            try:
                descriptor = os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            except OSError as exc:
                raise _fail(f"message not written: outbox folder not writable ({type(exc).__name__})", False) from None
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
            return name
        raise _fail("message not written: no free file name in the outbox", False)

    def send_email(self, message: email.message.EmailMessage) -> str:
        """Writes <UTC timestamp>-<random hex>.eml and returns the file name."""
        _complete_headers(message)
        name = self._write(".eml", message.as_bytes())
        log.info("e-mail written to the outbox as %s", name)
        return name

    def send_sms(self, to: str, text: str) -> str:
        """Writes <UTC timestamp>-<random hex>.txt ("Aan: <to>", blank line, text) and returns the file name."""
        if "\n" in to or "\r" in to:
            raise ValueError("an SMS recipient must be a single line")
        name = self._write(".txt", f"Aan: {to}\n\n{text}\n".encode("utf-8"))
        log.info("SMS written to the outbox as %s", name)
        return name


class SmtpTransport:
    """E-mail through an SMTP relay with smtplib: one connection per message, TLS unless on loopback."""

    def __init__(
        self,
        host: str,
        port: int,
        user: Optional[str] = None,
        password: Optional[str] = None,
        security: str = "starttls",
        timeout: float = 20.0,
        ssl_context: Optional[ssl.SSLContext] = None,
    ):
        if not host:
            raise ValueError("an SMTP host is required")
        if security not in SECURITY_MODES:
            raise ValueError(f"SMTP security must be one of {', '.join(SECURITY_MODES)}")
        if security == "none" and not _is_loopback(host):
            raise ValueError('SMTP security "none" is allowed only for a loopback host (127.0.0.1, ::1, localhost)')
        if (user is None) != (password is None):
            raise ValueError("an SMTP user and password go together")
        self.host = host
        self.port = int(port)
        self.user = user
        self.password = password
        self.security = security
        self.timeout = timeout
        self.ssl_context = ssl_context

    def _context(self) -> ssl.SSLContext:
        return self.ssl_context or ssl.create_default_context()

    def send_email(self, message: email.message.EmailMessage) -> str:
        """Sends the message to its To/Cc/Bcc recipients and returns its Message-ID."""
        if message["From"] is None:
            raise ValueError("an e-mail needs a From header")
        if not any(message.get_all(header) for header in ("To", "Cc", "Bcc")):
            raise ValueError("an e-mail needs a recipient")
        message_id = _complete_headers(message)
        try:
            if self.security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=self._context()
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                client.ehlo()
                if self.security == "starttls":
                    client.starttls(context=self._context())
                    client.ehlo()
                if self.user is not None:
                    client.login(self.user, self.password or "")
                refused = client.send_message(message)
            finally:
                try:
                    client.quit()
                except (smtplib.SMTPException, OSError):
                    client.close()
        except (smtplib.SMTPException, OSError) as exc:
            # `from None`: the original exception (and so a logged traceback) quotes the server's
            # reply, which often contains the recipient's address.
            raise _smtp_failure(exc) from None
        if refused:
            # Delivered to the others: raising would make a retry send it twice to them.
            log.warning("e-mail %s sent, but the SMTP server refused %d of its recipients",
                        message_id, len(refused))
        log.info("e-mail %s sent by SMTP", message_id)
        return message_id


class TwilioTransport:
    """SMS through Twilio's Messages API (HTTPS with requests, Basic auth with the account SID and token)."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: Optional[str] = None,
        messaging_service_sid: Optional[str] = None,
        base_url: str = TWILIO_API_URL,
        timeout: float = 20.0,
    ):
        if not account_sid or not auth_token:
            raise ValueError("a Twilio account SID and auth token are required")
        if not sender and not messaging_service_sid:
            raise ValueError("a Twilio sender number or messaging service SID is required")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.sender = sender
        self.messaging_service_sid = messaging_service_sid
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.timeout = timeout

    def send_sms(self, to: str, text: str) -> str:
        """Sends one SMS and returns Twilio's message sid."""
        form = {"To": to, "Body": text}
        if self.messaging_service_sid:
            form["MessagingServiceSid"] = self.messaging_service_sid
        if self.sender:
            form["From"] = self.sender
        try:
            response = requests.post(
                self.url, data=form, auth=(self.account_sid, self.auth_token), timeout=self.timeout
            )
        except requests.Timeout:
            raise _fail("SMS not sent: Twilio did not answer in time", False) from None
        except requests.RequestException as exc:
            raise _fail(f"SMS not sent: Twilio unreachable ({type(exc).__name__})", False) from None

        status = response.status_code
        if 200 <= status < 300:
            try:
                sid = response.json()["sid"]
            except (ValueError, KeyError, TypeError):
                sid = None
            if not isinstance(sid, str) or not sid:
                # It was probably sent: retrying could send it twice.
                raise _fail(f"SMS status unknown: Twilio answered {status} without a message sid",
                            True, logging.ERROR)
            log.info("SMS %s sent by Twilio", sid)
            return sid

        # Twilio's error text may quote the number: only its numeric error code is kept.
        try:
            code = response.json().get("code")
        except (ValueError, AttributeError):
            code = None
        detail = f"{status}, Twilio error {code}" if isinstance(code, int) else str(status)
        if status == 401:
            raise _fail(f"SMS not sent: Twilio rejected the credentials ({detail}); check STADSLOKET_TWILIO_*",
                        False, logging.ERROR)
        if status == 429:
            raise _fail(f"SMS not sent: Twilio asks to slow down ({detail})", False)
        if 400 <= status < 500:
            raise _fail(f"SMS not sent: Twilio refused the message ({detail})", True)
        raise _fail(f"SMS not sent: Twilio failed ({detail})", False)


@dataclass
class Transports:
    email: EmailTransport
    sms: SmsTransport
    sender: str  # the From address for e-mails


def _get(env: Mapping[str, str], name: str) -> Optional[str]:
    value = env.get(name, "").strip()
    return value or None


def _require(env: Mapping[str, str], names: tuple, group: str) -> None:
    missing = [name for name in names if _get(env, name) is None]
    if missing:
        raise ValueError(
            f"{group} is half configured: set {' and '.join(missing)} (or unset the other {group} variables)"
        )


def from_environment(env: Mapping[str, str] = os.environ, root: Path = ROOT) -> Transports:
    """The transports the environment asks for (see the module docstring); files where nothing is set."""
    outbox_setting = Path(_get(env, "STADSLOKET_OUTBOX_DIR") or DEFAULT_OUTBOX)
    outbox = FileTransport(outbox_setting if outbox_setting.is_absolute() else Path(root) / outbox_setting)

    sender = _get(env, "STADSLOKET_MAIL_FROM") or DEFAULT_SENDER
    if "@" not in email.utils.parseaddr(sender)[1]:
        raise ValueError("STADSLOKET_MAIL_FROM is not an e-mail address")

    smtp_names = ("STADSLOKET_SMTP_HOST", "STADSLOKET_SMTP_PORT", "STADSLOKET_SMTP_USER",
                  "STADSLOKET_SMTP_PASSWORD", "STADSLOKET_SMTP_SECURITY")
    email_transport: EmailTransport = outbox
    if any(_get(env, name) for name in smtp_names):
        _require(env, ("STADSLOKET_SMTP_HOST",), "SMTP")
        if _get(env, "STADSLOKET_SMTP_USER") or _get(env, "STADSLOKET_SMTP_PASSWORD"):
            _require(env, ("STADSLOKET_SMTP_USER", "STADSLOKET_SMTP_PASSWORD"), "SMTP")
        security = (_get(env, "STADSLOKET_SMTP_SECURITY") or "starttls").lower()
        if security not in SECURITY_MODES:
            raise ValueError(f"STADSLOKET_SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}")
        port_text = _get(env, "STADSLOKET_SMTP_PORT") or ("465" if security == "ssl" else "587")
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError("STADSLOKET_SMTP_PORT must be a port number")
        email_transport = SmtpTransport(
            host=_get(env, "STADSLOKET_SMTP_HOST") or "",
            port=int(port_text),
            user=_get(env, "STADSLOKET_SMTP_USER"),
            password=_get(env, "STADSLOKET_SMTP_PASSWORD"),
            security=security,
        )

    twilio_names = ("STADSLOKET_TWILIO_ACCOUNT_SID", "STADSLOKET_TWILIO_AUTH_TOKEN", "STADSLOKET_TWILIO_FROM",
                    "STADSLOKET_TWILIO_MESSAGING_SERVICE_SID", "STADSLOKET_TWILIO_API_URL")
    sms_transport: SmsTransport = outbox
    if any(_get(env, name) for name in twilio_names):
        _require(env, ("STADSLOKET_TWILIO_ACCOUNT_SID", "STADSLOKET_TWILIO_AUTH_TOKEN"), "Twilio")
        if not (_get(env, "STADSLOKET_TWILIO_FROM") or _get(env, "STADSLOKET_TWILIO_MESSAGING_SERVICE_SID")):
            raise ValueError(
                "Twilio is half configured: set STADSLOKET_TWILIO_FROM or STADSLOKET_TWILIO_MESSAGING_SERVICE_SID"
            )
        sms_transport = TwilioTransport(
            account_sid=_get(env, "STADSLOKET_TWILIO_ACCOUNT_SID") or "",
            auth_token=_get(env, "STADSLOKET_TWILIO_AUTH_TOKEN") or "",
            sender=_get(env, "STADSLOKET_TWILIO_FROM"),
            messaging_service_sid=_get(env, "STADSLOKET_TWILIO_MESSAGING_SERVICE_SID"),
            base_url=_get(env, "STADSLOKET_TWILIO_API_URL") or TWILIO_API_URL,
        )

    return Transports(email=email_transport, sms=sms_transport, sender=sender)
