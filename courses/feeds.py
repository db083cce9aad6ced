"""Fetching a student's LMS calendar feed by URL, safely.

The URL comes from the user, so the server fetching it is a server-side request forgery risk:
without checks a student could make the app read http://169.254.169.254/ (cloud metadata) or
an internal admin port. So only http(s) is fetched, no proxy from the environment is used, and
every connection (including each redirect) is refused unless its peer address is public. The
peer is checked on the connected socket, not on an earlier DNS answer, so DNS rebinding cannot
slip a private address in between. `LMS_FEED_ALLOW_PRIVATE_HOSTS` lifts the address check for
tests and local demos, which serve feeds from 127.0.0.1.
"""

from __future__ import annotations

import http.client
import ipaddress
import time
import urllib.error
import urllib.request
from urllib.parse import urlparse

from django.conf import settings

from accounts.errors import ApplicationError

# Canvas and Moodle answer feed requests in well under a second; ten seconds covers a slow
# LMS without tying up a web worker for long.
DEFAULT_FEED_TIMEOUT_SECONDS = 10.0
# A feed of several terms of several courses is a few hundred KB.
DEFAULT_FEED_MAX_BYTES = 2 * 1024 * 1024
READ_CHUNK_BYTES = 64 * 1024
ALLOWED_SCHEMES = ("http", "https")


class FeedFetchError(ApplicationError):
    def __init__(self, message: str):
        super().__init__(message, field_errors={"url": [message]})


def feed_timeout() -> float:
    return float(getattr(settings, "LMS_FEED_TIMEOUT_SECONDS", DEFAULT_FEED_TIMEOUT_SECONDS))


def feed_max_bytes() -> int:
    return int(getattr(settings, "LMS_FEED_MAX_BYTES", DEFAULT_FEED_MAX_BYTES))


def private_hosts_allowed() -> bool:
    return bool(getattr(settings, "LMS_FEED_ALLOW_PRIVATE_HOSTS", False))


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class _PeerCheckMixin:
    def connect(self):
        super().connect()
        if private_hosts_allowed():
            return
        peer = self.sock.getpeername()[0]
        if not is_public_address(peer):
            self.sock.close()
            raise FeedFetchError(
                f"The feed host {self.host} is a private or local address; only public hosts "
                "can be fetched."
            )


class _CheckedHTTPConnection(_PeerCheckMixin, http.client.HTTPConnection):
    pass


class _CheckedHTTPSConnection(_PeerCheckMixin, http.client.HTTPSConnection):
    pass


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_CheckedHTTPConnection, req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_CheckedHTTPSConnection, req, context=self._context)


def _build_opener() -> urllib.request.OpenerDirector:
    """An opener with only http(s): no proxies from the environment, no file:// or ftp://
    (a redirect to another scheme fails as an unknown URL type)."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        _CheckedHTTPHandler(),
        _CheckedHTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPRedirectHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    opener.addheaders = [("User-Agent", "AdaptiveStudyPlanner/1.0 (calendar import)")]
    return opener


def fetch_feed(url: str) -> bytes:
    """The body of an http(s) feed, within the timeout and size limit, or FeedFetchError."""
    url = (url or "").strip()
    parsed = urlparse(url)
    if parsed.scheme.lower() not in ALLOWED_SCHEMES or not parsed.hostname:
        raise FeedFetchError("The feed URL must be an http:// or https:// address.")
    timeout = feed_timeout()
    max_bytes = feed_max_bytes()
    deadline = time.monotonic() + timeout
    try:
        with _build_opener().open(url, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FeedFetchError(f"The feed is larger than {max_bytes // 1024} KB.")
            body = bytearray()
            while True:
                # The socket timeout bounds each read; the deadline bounds a slow trickle.
                if time.monotonic() > deadline:
                    raise FeedFetchError(f"The feed took longer than {timeout:g} s to download.")
                chunk = response.read(READ_CHUNK_BYTES)
                if not chunk:
                    break
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise FeedFetchError(f"The feed is larger than {max_bytes // 1024} KB.")
    except FeedFetchError:
        raise
    except urllib.error.HTTPError as exc:
        raise FeedFetchError(f"The feed server answered HTTP {exc.code}.") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, FeedFetchError):
            raise exc.reason from exc
        if isinstance(exc.reason, TimeoutError):
            raise FeedFetchError(f"The feed did not answer within {timeout:g} s.") from exc
        raise FeedFetchError(f"The feed could not be fetched: {exc.reason}.") from exc
    except TimeoutError as exc:
        raise FeedFetchError(f"The feed did not answer within {timeout:g} s.") from exc
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise FeedFetchError(f"The feed could not be fetched: {exc}.") from exc
    return bytes(body)
