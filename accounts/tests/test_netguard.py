"""The SSRF guard, through its public function: every refusal form, pinning, one deadline."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accounts import netguard
from accounts.netguard import (
    REFUSED_MESSAGE,
    UNREACHABLE_MESSAGE,
    FetchPolicy,
    guarded_fetch,
    guarded_request,
)

PUBLIC_POLICY = FetchPolicy(timeout_seconds=2.0, max_bytes=10_000)
LOCAL_POLICY = FetchPolicy(timeout_seconds=2.0, max_bytes=10_000, allow_private=True)


def no_lookup(host, port):
    raise AssertionError(f"{host} must be refused without a DNS lookup")


def resolving_to(*addresses, calls=None):
    def resolver(host, port):
        if calls is not None:
            calls.append(host)
        return list(addresses)

    return resolver


def refused(url, *, resolver=no_lookup, policy=PUBLIC_POLICY):
    with pytest.raises(netguard.OutboundFetchError) as excinfo:
        guarded_fetch(url, policy=policy, resolver=resolver)
    return excinfo.value


# --- addresses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.0.0.1:6379/",
        "http://127.0.0.1:1/",
        "http://0.0.0.0/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://255.255.255.255/",
        # Decimal, octal, hex and short forms of 127.0.0.1, read as libc and browsers do.
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://0x7f.1/",
        "http://0x7f000001/",
        "http://127.1/",
        "http://017700000001/",
        # IPv6: loopback, unspecified, link-local, unique-local, multicast, and IPv4 in disguise.
        "http://[::1]/",
        "http://[::]/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://[ff02::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[2002:7f00:1::]/",
        # Numeric-looking hosts that are not valid addresses mean different things to
        # different parsers: refused rather than guessed.
        "http://0x1ffffffff/",
        "http://1.2.3.4.5/",
        "http://1.2.3.0x100/",
    ],
)
def test_literal_non_public_addresses_are_refused_without_a_lookup(url):
    error = refused(url)
    assert error.kind == "refused"
    assert error.message == REFUSED_MESSAGE


def test_a_name_is_refused_when_any_of_its_addresses_is_not_public():
    for addresses in (["127.0.0.1"], ["93.184.215.14", "10.0.0.5"], ["::ffff:192.168.0.1"]):
        error = refused("https://feeds.example.org/x.ics", resolver=resolving_to(*addresses))
        assert error.message == REFUSED_MESSAGE


def test_ports_other_than_80_and_443_are_refused_even_on_a_public_address():
    public = resolving_to("93.184.215.14")
    for url in ("http://feeds.example.org:8080/", "https://feeds.example.org:6379/"):
        assert refused(url, resolver=public).message == REFUSED_MESSAGE


def test_closed_and_open_private_ports_read_exactly_the_same():
    redis_port = refused("http://127.0.0.1:6379/")
    closed_port = refused("http://127.0.0.1:1/")
    assert redis_port.message == closed_port.message == REFUSED_MESSAGE


@pytest.mark.parametrize(
    ("address", "is_public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("192.0.2.1", False),
        ("::ffff:10.0.0.1", False),
        ("fe80::1%eth0", False),
        ("not an address", False),
    ],
)
def test_is_public_address(address, is_public):
    assert netguard.is_public_address(address) is is_public


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://x/", "ftp://example.org/", "http:///x", "http://[::1"]
)
def test_only_http_urls_with_a_host(url):
    assert refused(url).kind == "bad_url"


def test_credentials_in_the_url_are_refused():
    assert refused("http://user:pw@feeds.example.org/").kind == "bad_url"


# --- a local server, reached through a resolver that answers for a name ----------------------


class Handler(BaseHTTPRequestHandler):
    seen_hosts: list[str] = []
    seen_authorization: list[str | None] = []
    step_seconds = 0.2

    def do_GET(self):
        Handler.seen_hosts.append(self.headers.get("Host"))
        Handler.seen_authorization.append(self.headers.get("Authorization"))
        if self.path == "/to-other-name":
            self._redirect(f"http://cdn.example:{self.server.server_address[1]}/feed")
            return
        if self.path == "/unauthorized":
            body = b'{"errors": [{"message": "Invalid access token."}]}'
            self.send_response(401)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Link", '</next>; rel="next"')
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path.startswith("/slow-redirect/"):
            hop = int(self.path.rsplit("/", 1)[1])
            time.sleep(self.step_seconds)
            self._redirect(f"/slow-redirect/{hop + 1}")
        elif self.path == "/to-internal":
            self._redirect(f"http://internal.example:{self.server.server_address[1]}/feed")
        elif self.path == "/to-metadata":
            self._redirect("http://169.254.169.254/latest/meta-data/")
        elif self.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(100):
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(self.step_seconds)
        else:
            body = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def _redirect(self, location):
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        return


@pytest.fixture
def local_server():
    Handler.seen_hosts = []
    Handler.seen_authorization = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def only_local(port):
    """A policy that treats exactly 127.0.0.1:port as the one public host on the internet."""
    return FetchPolicy(
        timeout_seconds=2.0,
        max_bytes=10_000,
        allowed_ports=frozenset({port}),
        address_allowed=lambda address: address == "127.0.0.1",
    )


def test_fetch_connects_to_the_checked_address_and_sends_the_name(local_server):
    calls = []
    # A rebinding DNS server: the first answer passes the check, later ones would not.
    answers = iter([["127.0.0.1"], ["10.0.0.1"], ["10.0.0.1"]])

    def rebinding_resolver(host, port):
        calls.append(host)
        return next(answers)

    body = guarded_fetch(
        f"http://feeds.example:{local_server}/feed.ics",
        policy=only_local(local_server),
        resolver=rebinding_resolver,
    )
    assert body.startswith(b"BEGIN:VCALENDAR")
    assert calls == ["feeds.example"]
    assert Handler.seen_hosts == [f"feeds.example:{local_server}"]


def test_guarded_request_returns_any_status_with_its_headers(local_server):
    response = guarded_request(
        f"http://lms.example:{local_server}/unauthorized",
        policy=only_local(local_server),
        resolver=lambda host, port: ["127.0.0.1"],
        headers={"Authorization": "Bearer s3cret"},
    )
    assert response.status == 401
    assert response.header("Link") == '</next>; rel="next"'
    assert b"Invalid access token" in response.body
    assert Handler.seen_authorization == ["Bearer s3cret"]


def test_credentials_are_not_sent_to_another_host_after_a_redirect(local_server):
    response = guarded_request(
        f"http://lms.example:{local_server}/to-other-name",
        policy=only_local(local_server),
        resolver=lambda host, port: ["127.0.0.1"],
        headers={"Authorization": "Bearer s3cret"},
    )
    assert response.status == 200
    assert Handler.seen_hosts == [f"lms.example:{local_server}", f"cdn.example:{local_server}"]
    assert Handler.seen_authorization == ["Bearer s3cret", None]


def test_a_redirect_is_checked_again_at_each_hop(local_server):
    def resolver(host, port):
        return {"feeds.example": ["127.0.0.1"], "internal.example": ["127.0.0.2"]}[host]

    policy = only_local(local_server)
    for path in ("/to-internal", "/to-metadata"):
        error = refused(
            f"http://feeds.example:{local_server}{path}", resolver=resolver, policy=policy
        )
        assert error.message == REFUSED_MESSAGE
    # Each redirect reached the server once; the refused hop never did.
    assert len(Handler.seen_hosts) == 2


def test_one_deadline_covers_a_chain_of_slow_redirects(local_server):
    policy = FetchPolicy(
        timeout_seconds=0.5, max_bytes=10_000, allow_private=True, max_redirects=50
    )
    error = refused(
        f"http://127.0.0.1:{local_server}/slow-redirect/0",
        resolver=resolving_to("127.0.0.1"),
        policy=policy,
    )
    assert error.kind == "timeout"
    assert "0.5 s" in error.message
    # Each hop alone is within the limit; the whole chain would be 50 hops of 0.2 s. The
    # deadline stopped it after the few hops that fit in 0.5 s.
    assert 2 <= len(Handler.seen_hosts) <= 4


def test_one_deadline_covers_a_body_dripped_byte_by_byte(local_server):
    Handler.step_seconds = 0.05
    try:
        policy = FetchPolicy(timeout_seconds=0.5, max_bytes=10_000, allow_private=True)
        error = refused(f"http://127.0.0.1:{local_server}/drip", policy=policy)
        # Every byte came within its own socket timeout; only the one deadline stops it.
        assert error.kind == "timeout"
    finally:
        Handler.step_seconds = 0.2


def test_redirect_loops_end(local_server):
    policy = FetchPolicy(timeout_seconds=5.0, max_bytes=10_000, allow_private=True)
    Handler.step_seconds = 0
    try:
        error = refused(f"http://127.0.0.1:{local_server}/slow-redirect/0", policy=policy)
    finally:
        Handler.step_seconds = 0.2
    assert "redirects too many times" in error.message
    assert len(Handler.seen_hosts) == netguard.MAX_REDIRECTS + 1


def test_network_failures_share_one_message_that_names_no_cause():
    # Even with private hosts allowed, a refused port reads like any other failure.
    closed = refused("http://127.0.0.1:1/", policy=LOCAL_POLICY)
    unknown = refused(
        "http://no-such-host.invalid/",
        policy=LOCAL_POLICY,
        resolver=lambda host, port: (_ for _ in ()).throw(OSError("Name or service not known")),
    )
    assert closed.message == unknown.message == UNREACHABLE_MESSAGE
    assert "refused" not in closed.message.lower()


# --- HTTPS: pinned to the checked address, yet SNI and the certificate use the name ------------


def _self_signed(tmp_path, name):
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    # Fixed validity far around any plausible test date: no real clock involved.
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime.datetime(2000, 1, 1))
        .not_valid_after(datetime.datetime(2099, 1, 1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path):
    import ssl

    cert_path, key_path = _self_signed(tmp_path, "feeds.example")
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_path, key_path)
    seen_sni = []
    server_context.sni_callback = lambda sock, name, context: seen_sni.append(name)
    Handler.seen_hosts = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client_context = ssl.create_default_context(cafile=str(cert_path))
    yield server.server_address[1], client_context, seen_sni
    server.shutdown()
    server.server_close()


def test_https_is_pinned_to_the_checked_address_with_the_name_for_sni_and_certificate(tls_server):
    port, client_context, seen_sni = tls_server
    policy = FetchPolicy(
        timeout_seconds=3.0,
        max_bytes=10_000,
        allowed_ports=frozenset({port}),
        address_allowed=lambda address: address == "127.0.0.1",
        ssl_context=client_context,
    )
    body = guarded_fetch(
        f"https://feeds.example:{port}/feed.ics", policy=policy, resolver=resolving_to("127.0.0.1")
    )
    assert body.startswith(b"BEGIN:VCALENDAR")
    assert seen_sni == ["feeds.example"]
    assert Handler.seen_hosts == [f"feeds.example:{port}"]
    # A name the certificate does not cover fails like any other network error.
    error = refused(
        f"https://other.example:{port}/feed.ics", policy=policy, resolver=resolving_to("127.0.0.1")
    )
    assert error.message == UNREACHABLE_MESSAGE
