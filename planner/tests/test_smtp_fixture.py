"""The SMTP fixture is a real server: Django's SMTP backend delivers to it over the protocol."""

from django.core import mail


def test_django_mail_arrives_at_the_real_smtp_server_parsed(smtp):
    message = mail.EmailMultiAlternatives(
        subject="Plan für heute",
        body="Open https://planner.example/plan/?day=2026-12-07 to see it.",
        from_email="Study Planner <noreply@planner.example>",
        to=["ada@example.org"],
        bcc=["audit@example.org"],
        headers={"List-Unsubscribe": "<https://planner.example/u/abc>"},
    )
    message.attach_alternative("<p>html</p>", "text/html")
    assert message.send() == 1

    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    # Non-ASCII subjects are encoded on the wire and decoded by the parser.
    assert received["Subject"] == "Plan für heute"
    assert received["To"] == "ada@example.org"
    assert received["List-Unsubscribe"] == "<https://planner.example/u/abc>"
    assert "Bcc" not in received
    assert smtp.sent_to("AUDIT@example.org") == [received]
    assert smtp.links(received) == ["https://planner.example/plan/?day=2026-12-07"]


def test_nothing_arrives_when_nothing_is_sent(smtp):
    assert smtp.messages == []
    assert smtp.sent_to("ada@example.org") == []
