"""Fetching a URL a user typed, without letting the user aim the server at itself.

A user-supplied URL is a server-side request forgery risk: unchecked, a student could make the
app read http://169.254.169.254/ (cloud metadata), probe Redis on 127.0.0.1:6379, or learn which
internal ports are open from the error text. So, for every hop (the first URL and each redirect):

- only http and https, on ports 80 and 443;
- the host is resolved ONCE, and every address of the answer must be public: loopback, private,
  link-local, multicast, reserved, unspecified, shared (CGNAT) and documentation ranges are
  refused, and so is an IPv4 address hidden in IPv6 (mapped, NAT64, 6to4, Teredo);
- numeric hosts are read as browsers and libc read them (http://2130706433/, http://0177.0.0.1/,
  http://0x7f.1/ are all 127.0.0.1), so they cannot sneak past as "names";
- the socket connects to the address that was checked, never to the name: a second lookup could
  answer differently (DNS rebinding). The Host header and TLS SNI/certificate check still use the
  name, so virtual hosts and HTTPS work as usual;
- one deadline covers the whole fetch, lookups, redirects and slow bodies included; a watchdog
  shuts the socket when it passes, because a per-read timeout alone lets a server drip one byte
  per read forever;
- every failure to connect or talk reads the same ("could not be fetched"), so a refused port
  cannot be told from a filtered one.

`allow_private=True` (LMS_FEED_ALLOW_PRIVATE_HOSTS, for tests and local demos serving feeds from
127.0.0.1) lifts the address and port checks, nothing else: the address is still pinned.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

ALLOWED_SCHEMES = {"http": 80, "https": 443}
ALLOWED_PORTS = frozenset(ALLOWED_SCHEMES.values())
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Browsers stop at 20; a feed that needs more than five hops is misconfigured or hostile.
MAX_REDIRECTS = 5
READ_CHUNK_BYTES = 64 * 1024
USER_AGENT = "AdaptiveStudyPlanner/1.0 (calendar import)"

REFUSED_MESSAGE = (
    "Only public http(s) addresses on port 80 or 443 can be fetched; this address is a private "
    "or local address or uses another port."
)
# One text for every network failure: telling "connection refused" from "reset" or "no route"
# would let a user map which ports answer.
UNREACHABLE_MESSAGE = "The address could not be fetched. Check the URL and try again."

# An address resolver: (host, port) -> the addresses to try. Tests pass their own.
Resolver = Callable[[str, int], list[str]]

# Ranges is_global misses or that we refuse outright even if a future Python calls them global.
_EXTRA_BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "192.0.0.0/24",
        "198.18.0.0/15",
        "240.0.0.0/4",
        "255.255.255.255/32",
        "64:ff9b:1::/48",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundFetchError(Exception):
    """A fetch that was refused or failed; `message` is safe to show to the user."""

    def __init__(self, message: str, *, kind: str):
        super().__init__(message)
        self.message = message
        self.kind = kind  # refused, unreachable, timeout, too_large, http_status, bad_url


@dataclass(frozen=True)
class FetchPolicy:
    timeout_seconds: float
    max_bytes: int
    allow_private: bool = False
    max_redirects: int = MAX_REDIRECTS
    allowed_ports: frozenset[int] = ALLOWED_PORTS
    # Which resolved addresses may be contacted; a test narrows it to one local address.
    # The TLS trust store; None is the system's. Tests pass one that trusts their own CA.
    ssl_context: ssl.SSLContext | None = None
    address_allowed: Callable[[str], bool] = field(
        default=lambda address: is_public_address(address)
    )


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    return None


def is_public_address(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True only for a unicast address on the public internet."""
    try:
        ip = ipaddress.ip_address(str(address).split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None and not is_public_address(embedded):
            return False
    if (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    ):
        return False
    return not any(ip in net for net in _EXTRA_BLOCKED_NETWORKS if net.version == ip.version)


def _parse_ipv4_number(part: str) -> int | None:
    if part.lower().startswith("0x"):
        digits, base = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if digits == "":
        return 0 if base == 16 else None
    try:
        return int(digits, base)
    except ValueError:
        return None


def numeric_ipv4(host: str) -> ipaddress.IPv4Address | bool | None:
    """The IPv4 address a numeric host means (WHATWG URL rules, which inet_aton shares).

    Returns None when the host is a name, False when it looks numeric but is not a valid
    address (refused: it would mean different things to different parsers)."""
    parts = host.rstrip(".").split(".") if host else []
    if not parts or not parts[-1] or _parse_ipv4_number(parts[-1]) is None:
        return None
    if len(parts) > 4 or any(part == "" for part in parts):
        return False
    numbers = [_parse_ipv4_number(part) for part in parts]
    if any(number is None for number in numbers):
        return False
    *leading, last = numbers
    if any(number > 255 for number in leading) or last >= 256 ** (5 - len(numbers)):
        return False
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(info[4][0] for info in infos))


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


class _Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise OutboundFetchError(self.message(), kind="timeout")
        return left

    def message(self) -> str:
        return f"The address did not answer within {self.seconds:g} s."


def _resolve(host: str, port: int, resolver: Resolver, deadline: _Deadline) -> list[str]:
    # getaddrinfo has no timeout of its own; a worker thread lets the deadline cut it short.
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        future = executor.submit(resolver, host, port)
        return list(future.result(timeout=deadline.remaining()))
    except concurrent.futures.TimeoutError as exc:
        raise OutboundFetchError(deadline.message(), kind="timeout") from exc
    except (OSError, UnicodeError, ValueError) as exc:
        raise OutboundFetchError(UNREACHABLE_MESSAGE, kind="unreachable") from exc
    finally:
        executor.shutdown(wait=False)


def check_url(url: str, *, policy: FetchPolicy, resolver: Resolver, deadline: _Deadline) -> _Target:
    """Parse, resolve once and check one hop; the addresses returned are the only ones used."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError as exc:
        raise OutboundFetchError("The URL is not valid.", kind="bad_url") from exc
    if scheme not in ALLOWED_SCHEMES or not host:
        raise OutboundFetchError("The URL must be an http:// or https:// address.", kind="bad_url")
    if parts.username or parts.password:
        raise OutboundFetchError("The URL must not hold a user name or password.", kind="bad_url")
    port = port or ALLOWED_SCHEMES[scheme]
    if not policy.allow_private and port not in policy.allowed_ports:
        raise OutboundFetchError(REFUSED_MESSAGE, kind="refused")
    numeric = numeric_ipv4(host)
    if numeric is False:
        raise OutboundFetchError(REFUSED_MESSAGE, kind="refused")
    literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None = numeric or None
    if literal is None and ":" in host:
        try:
            literal = ipaddress.IPv6Address(host)
        except ValueError as exc:  # a zone id (fe80::1%eth0) or garbage
            raise OutboundFetchError(REFUSED_MESSAGE, kind="refused") from exc
    addresses = [str(literal)] if literal else _resolve(host, port, resolver, deadline)
    if not addresses:
        raise OutboundFetchError(UNREACHABLE_MESSAGE, kind="unreachable")
    if not policy.allow_private and not all(policy.address_allowed(a) for a in addresses):
        raise OutboundFetchError(REFUSED_MESSAGE, kind="refused")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return _Target(scheme, host, port, path, tuple(addresses))


def _pinned_connection(
    target: _Target, address: str, timeout: float, watchdog: _Watchdog, policy: FetchPolicy
):
    """An http.client connection to `address` that still speaks to `target.host`."""

    def connect_to_checked_address(_address, conn_timeout, source_address=None):
        sock = socket.create_connection((address, target.port), conn_timeout, source_address)
        watchdog.attach(sock)
        return sock

    if target.scheme == "https":
        conn = http.client.HTTPSConnection(
            target.host,
            target.port,
            timeout=timeout,
            context=policy.ssl_context or ssl.create_default_context(),
        )
    else:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    # http.client opens its socket through this attribute; the TLS layer still wraps it with
    # server_hostname=target.host, so SNI and the certificate check use the name.
    conn._create_connection = connect_to_checked_address
    return conn


class _Watchdog:
    """Shuts the current connection down when the deadline passes, whatever it is doing.

    It keeps its own duplicate of the socket: shutting down a duplicate ends the shared
    connection (TLS wrapped or not), and holding it means the descriptor cannot be reused by an
    unrelated socket before the watchdog fires."""

    def __init__(self, deadline: _Deadline):
        self.fired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(deadline.at - time.monotonic(), 0), self._fire)
        self._timer.daemon = True

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc_info):
        self._timer.cancel()
        self.release()

    def attach(self, sock: socket.socket) -> None:
        with self._lock:
            self._release_locked()
            self._sock = sock.dup()
            if self.fired:
                self._shutdown_locked()

    def release(self) -> None:
        with self._lock:
            self._release_locked()

    def _release_locked(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _shutdown_locked(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            self._shutdown_locked()


def _open(
    target: _Target,
    deadline: _Deadline,
    watchdog: _Watchdog,
    policy: FetchPolicy,
    extra_headers: dict[str, str] | None = None,
    method: str = "GET",
    body: bytes | None = None,
):
    """(connection, response) from the first checked address that answers."""
    last_error: Exception | None = None
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Connection": "close"}
    headers.update(extra_headers or {})
    for address in target.addresses:
        conn = _pinned_connection(target, address, deadline.remaining(), watchdog, policy)
        try:
            conn.request(method, target.path, body=body, headers=headers)
            conn.sock.settimeout(deadline.remaining())
            return conn, conn.getresponse()
        except (OSError, http.client.HTTPException, ssl.SSLError, ValueError) as exc:
            conn.close()
            watchdog.release()
            last_error = exc
            # Only the checked addresses are ever contacted, so saying "too slow" here tells
            # nothing about private ports; it is the deadline, not the network, that ended it.
            if watchdog.fired or isinstance(exc, TimeoutError):
                raise OutboundFetchError(deadline.message(), kind="timeout") from exc
    raise OutboundFetchError(UNREACHABLE_MESSAGE, kind="unreachable") from last_error


def _read_body(response, deadline: _Deadline, max_bytes: int) -> bytes:
    too_large = OutboundFetchError(
        f"The response is larger than {max_bytes // 1024} KB.", kind="too_large"
    )
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    body = bytearray()
    while True:
        # Each read is bounded by the socket timeout set before the headers; the watchdog ends
        # the read at the deadline, so a server dripping bytes cannot stretch it.
        deadline.remaining()
        chunk = response.read(READ_CHUNK_BYTES)
        if not chunk:
            # The watchdog's shutdown reads as a clean end of stream: never return it as a body.
            deadline.remaining()
            return bytes(body)
        body.extend(chunk)
        if len(body) > max_bytes:
            raise too_large


@dataclass(frozen=True)
class GuardedResponse:
    """A final (non-redirect) answer of any status, for API clients that must read the status
    and headers themselves (a 401, a rate limit, Canvas's Link pagination)."""

    status: int
    headers: dict[str, str]
    body: bytes
    url: str

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


def guarded_fetch(url: str, *, policy: FetchPolicy, resolver: Resolver | None = None) -> bytes:
    """The body of `url` after every check above, or OutboundFetchError."""
    response = guarded_request(url, policy=policy, resolver=resolver)
    if response.status != 200:
        raise OutboundFetchError(f"The server answered HTTP {response.status}.", kind="http_status")
    return response.body


def guarded_request(
    url: str,
    *,
    policy: FetchPolicy,
    resolver: Resolver | None = None,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    body: bytes | None = None,
) -> GuardedResponse:
    """A GET of `url` after every check above, whatever status it ends with (redirects are
    followed), or OutboundFetchError when it could not be fetched at all.

    `headers` (an API token, say) are sent only to the host of `url`: a redirect to another
    host must not carry the student's credentials there. A POST (`method`, `body`: an OAuth
    token request) is never redirected: its body holds secrets, so a redirect is returned
    as the answer instead of being followed."""
    resolver = resolver or system_resolver
    deadline = _Deadline(policy.timeout_seconds)
    first_host: str | None = None
    with _Watchdog(deadline) as watchdog:
        try:
            for _hop in range(policy.max_redirects + 1):
                target = check_url(url, policy=policy, resolver=resolver, deadline=deadline)
                first_host = first_host or target.host
                hop_headers = headers if target.host == first_host else None
                conn, response = _open(
                    target, deadline, watchdog, policy, hop_headers, method=method, body=body
                )
                try:
                    if response.status in REDIRECT_STATUSES and method == "GET":
                        location = response.getheader("Location")
                        if not location:
                            raise OutboundFetchError(
                                f"The server answered HTTP {response.status}.", kind="http_status"
                            )
                        url = urljoin(url, location.strip())
                        continue
                    body = _read_body(response, deadline, policy.max_bytes)
                    return GuardedResponse(
                        status=response.status,
                        headers={key.lower(): value for key, value in response.getheaders()},
                        body=body,
                        url=url,
                    )
                finally:
                    response.close()
                    conn.close()
                    watchdog.release()
            raise OutboundFetchError("The address redirects too many times.", kind="http_status")
        except OutboundFetchError as exc:
            if watchdog.fired and exc.kind == "unreachable":
                raise OutboundFetchError(deadline.message(), kind="timeout") from exc
            raise
        except (OSError, http.client.HTTPException, ssl.SSLError, ValueError) as exc:
            if watchdog.fired or isinstance(exc, TimeoutError):
                raise OutboundFetchError(deadline.message(), kind="timeout") from exc
            raise OutboundFetchError(UNREACHABLE_MESSAGE, kind="unreachable") from exc
