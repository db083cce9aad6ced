"""Every request to a student's LMS, through the SSRF guard of the feed import.

The base URL is typed by the student, so a Canvas or Moodle client is the same risk as a feed
URL: each request goes through `accounts.netguard.guarded_request` (one lookup, public
addresses only, the connection pinned, one deadline), with the feed's settings, so
`LMS_FEED_ALLOW_PRIVATE_HOSTS` is the one switch that lets tests and demos reach 127.0.0.1.
That is why the clients speak plain HTTP instead of `canvasapi`: canvasapi opens its own
`requests` session, which would bypass the guard (DNS rebinding, redirects to private hosts).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from accounts import netguard
from courses import feeds

# A Canvas page of 100 assignments with their submissions is well under 1 MB.
LMS_RESPONSE_MAX_BYTES = 4 * 1024 * 1024


class LmsTransportError(Exception):
    """Could not talk to the LMS at all; `message` is safe to show to the student."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class LmsResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


def lms_get(
    url: str, *, headers: dict[str, str] | None = None, resolver: netguard.Resolver | None = None
) -> LmsResponse:
    policy = netguard.FetchPolicy(
        timeout_seconds=feeds.feed_timeout(),
        max_bytes=LMS_RESPONSE_MAX_BYTES,
        allow_private=feeds.private_hosts_allowed(),
    )
    try:
        response = netguard.guarded_request(
            url,
            policy=policy,
            resolver=resolver,
            headers={"Accept": "application/json", **(headers or {})},
        )
    except netguard.OutboundFetchError as exc:
        raise LmsTransportError(exc.message) from exc
    return LmsResponse(status=response.status, headers=response.headers, body=response.body)


def lms_post_form(
    url: str, *, fields: dict[str, str], resolver: netguard.Resolver | None = None
) -> LmsResponse:
    """A form POST (an OAuth2 token request) through the same guard; never redirected."""
    policy = netguard.FetchPolicy(
        timeout_seconds=feeds.feed_timeout(),
        max_bytes=LMS_RESPONSE_MAX_BYTES,
        allow_private=feeds.private_hosts_allowed(),
    )
    try:
        response = netguard.guarded_request(
            url,
            policy=policy,
            resolver=resolver,
            method="POST",
            body=urlencode(fields).encode("ascii"),
            headers={
                "Accept": "application/json",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
    except netguard.OutboundFetchError as exc:
        raise LmsTransportError(exc.message) from exc
    return LmsResponse(status=response.status, headers=response.headers, body=response.body)
