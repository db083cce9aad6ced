"""A real SMTP server for tests: aiosmtpd on a free loopback port, with Django's SMTP backend
pointed at it. Tests read what was delivered (headers, bodies, links) as parsed messages, the way
a mail client would see them, so a broken header or encoding fails here and not in production.

The root conftest.py loads this module as a plugin, so every app's tests can ask for `smtp`.
"""

from __future__ import annotations

import email
import email.policy
import re
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest

from planner.testing.services import free_port

URL_PATTERN = re.compile(r"https?://[^\s<>\"']+")


class _Collector:
    """aiosmtpd handler: keeps every delivered message, parsed with the modern email policy."""

    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.mailbox._deliver(message, list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


@dataclass
class Mailbox:
    """What the server received. `messages` in arrival order; `recipients[i]` is the envelope's
    RCPT TO list of `messages[i]` (Bcc shows only there)."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _deliver(self, message: EmailMessage, rcpt_tos: list[str]) -> None:
        with self._lock:
            self.messages.append(message)
            self.recipients.append(rcpt_tos)

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.recipients.clear()

    def sent_to(self, address: str) -> list[EmailMessage]:
        """Messages whose envelope named `address` (case-insensitive)."""
        wanted = address.lower()
        with self._lock:
            return [
                message
                for message, rcpts in zip(self.messages, self.recipients, strict=True)
                if wanted in (r.lower() for r in rcpts)
            ]

    @staticmethod
    def text(message: EmailMessage) -> str:
        """The plain-text body (the text/plain part of a multipart message)."""
        part = message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""

    @classmethod
    def links(cls, message: EmailMessage) -> list[str]:
        """Every http(s) URL in the plain-text body, in order."""
        return URL_PATTERN.findall(cls.text(message))


@pytest.fixture
def smtp(settings):
    """Start aiosmtpd on 127.0.0.1 and send Django's mail to it; yields the Mailbox.

    Django's SMTP backend opens a real connection per send, so what the test reads went through
    the SMTP protocol (envelope, DATA, headers encoding) exactly as it would to a relay.
    """
    from aiosmtpd.controller import Controller

    port = free_port()
    mailbox = Mailbox(host="127.0.0.1", port=port)
    controller = Controller(_Collector(mailbox), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    # A test that hangs on a dead server is a broken test, not a slow one.
    settings.EMAIL_TIMEOUT = 10
    try:
        yield mailbox
    finally:
        controller.stop()
