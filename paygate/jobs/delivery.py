"""Webhook delivery: the one place paygate makes an outbound HTTP request to a merchant.

It speaks HTTP through urllib3 (the connection pool underneath ``requests``) directly: thread-safe
keep-alive pools shared by every send of the process, and none of the per-request session
machinery, which was most of a delivery's CPU time.

The host is resolved once per send (cached 30 s), every address is checked, and the socket
connects to a checked address — never to whatever a second lookup answers (DNS rebinding). The
Host header, TLS server name and certificate check still use the URL's host name. Pools are
keyed by (scheme, host, pinned address, port), so kept-alive connections are reused across sends.

A send has one deadline for the whole call (``settings.webhook_timeout_s``, 5 s): name lookup,
connect, TLS, the request and the answer's status, headers and body. ``paygate.jobs.deadline``
cuts the connection when it passes, so a receiver that answers slowly or drips its answer is a
failed attempt ("timed out after 5 s"), never a success that outlived its lease. It never touches
the database: ``jobs.sender`` runs the sends, the due loop leases and records them.

Refuses: redirects (a 3xx is a failed attempt), bodies other than the event's stored bytes, a
claim with no secret to sign it with (nothing is ever sent unsigned), and
— unless ``private_webhooks_allowed`` — destinations that resolve to private, loopback,
link-local or otherwise non-public addresses (checked at send time, not only when the URL is set).
"""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor, TimeoutError as LookupTimeout
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from urllib3._collections import RecentlyUsedContainer
from urllib3.exceptions import HTTPError, NewConnectionError, TimeoutError as Urllib3Timeout
from urllib3.util import parse_url

from .. import deliveries, signing
from ..addresses import is_public_address
from ..clock import unix, utcnow
from .deadline import Watch, attach_current, watchdog

USER_AGENT = "paygate-webhooks/1.0"
SMALL_BODY_BYTES = 64 * 1024  # read whole (keeps the connection alive); larger: first 1 KB, then drop
HIDDEN_EXCERPT = "(hidden: the response came from a private or loopback address)"
_DNS_TTL_S = 30.0
_DEFAULT_PORTS = {"http": 80, "https": 443}
_pool_lock = threading.Lock()
# (scheme, host, pinned address, port) → a keep-alive pool connected to that very address;
# least recently used pools are closed beyond 256.
_pools: RecentlyUsedContainer = RecentlyUsedContainer(256, dispose_func=lambda pool: pool.close())
_dns_cache: dict[str, tuple[float, tuple[str, ...]]] = {}
# getaddrinfo has no timeout of its own: lookups run here, and a send waits for one only until its deadline.
_lookups = ThreadPoolExecutor(max_workers=4, thread_name_prefix="paygate-dns")


class DestinationRefused(Exception):
    """The webhook URL resolves to an address paygate is configured not to call."""


@dataclass(frozen=True)
class Destination:
    """Where a send goes: the URL's parts, and the addresses it resolved to (the ones checked)."""

    scheme: str
    host: str  # the name, lower case: TLS server name and certificate host
    port: int
    authority: str  # the Host header, as the URL wrote it
    target: str  # path and query
    addresses: tuple[str, ...]


_is_public = is_public_address  # the same rule as when the URL was set (paygate/addresses.py)


def _resolve(host: str, watch: Watch | None = None) -> tuple[str, ...]:
    """The host's addresses, cached for a short while (connections go to these, never re-resolved).
    A lookup still running at the send's deadline is a timeout."""
    cached = _dns_cache.get(host)
    now = time.monotonic()
    if cached and cached[0] > now:
        return cached[1]
    try:
        lookup = _lookups.submit(socket.getaddrinfo, host, None, proto=socket.IPPROTO_TCP)
        infos = lookup.result(timeout=watch.remaining() if watch else None)
    except LookupTimeout:
        raise Urllib3Timeout(f"looking up {host} took too long") from None
    except (socket.gaierror, UnicodeError):
        raise DestinationRefused(f"cannot resolve {host}") from None
    addresses = tuple(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise DestinationRefused(f"cannot resolve {host}")
    if len(_dns_cache) > 10_000:
        _dns_cache.clear()
    _dns_cache[host] = (now + _DNS_TTL_S, addresses)
    return addresses


def resolve_destination(url: str, allow_private: bool, watch: Watch | None = None) -> Destination:
    """Resolve ``url``'s host once and check every address it gave.

    The send then connects to these addresses only: a name that answers a public address to the
    check and a private one to a second lookup (DNS rebinding) never gets a second lookup.
    Raises DestinationRefused (non-public address, unless ``allow_private``) or ValueError (bad URL).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError("webhook URL must be http or https with a host")
    host = parts.hostname.lower()
    authority = parts.netloc.rpartition("@")[2]
    if not host.isascii():  # an internationalised name: its ASCII form on the wire (Host, TLS name)
        host = host.encode("idna").decode("ascii")
        authority = host + (f":{parts.port}" if parts.port else "")
    port = parts.port or _DEFAULT_PORTS[scheme]
    addresses = _resolve(host, watch)
    if not allow_private and not all(_is_public(a) for a in addresses):
        raise DestinationRefused("destination refused: the URL resolves to a private, loopback or link-local address")
    target = parse_url(url).request_uri  # path and query, percent-encoded as urllib3 sends them
    return Destination(scheme, host, port, authority, target, addresses)


def check_destination(url: str, allow_private: bool) -> None:
    """Raise DestinationRefused when ``url``'s host resolves to a non-public address."""
    if not allow_private:
        resolve_destination(url, allow_private)


class _Watched:
    """A connection that puts itself under the running send's deadline before any I/O."""

    def connect(self):
        attach_current(self)
        super().connect()

    def request(self, *args, **kwargs):
        attach_current(self)
        return super().request(*args, **kwargs)


class _WatchedHTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


def _pool(dest: Destination, address: str) -> urllib3.HTTPConnectionPool:
    """The keep-alive pool to ``address`` for this destination (thread-safe, shared by sends).

    HTTPS verifies the certificate against the URL's host name and sends it as the TLS server
    name, though the socket connects to the pinned address.
    """
    key = (dest.scheme, dest.host, address, dest.port)
    pool = _pools.get(key)
    if pool is None:
        with _pool_lock:
            pool = _pools.get(key)
            if pool is None:
                if dest.scheme == "https":
                    pool = _HTTPSPool(
                        address, dest.port, maxsize=32, block=False, retries=False, server_hostname=dest.host, assert_hostname=dest.host
                    )
                else:
                    pool = _HTTPPool(address, dest.port, maxsize=32, block=False, retries=False)
                _pools[key] = pool
    return pool


def _post(dest: Destination, body: bytes, headers: dict, timeout: urllib3.Timeout):
    """POST to the checked addresses in turn (the next only when one refuses the connection)."""
    headers = {**headers, "Host": dest.authority}
    for i, address in enumerate(dest.addresses):
        try:
            return _pool(dest, address).urlopen(
                "POST", dest.target, body=body, headers=headers, timeout=timeout,
                redirect=False, retries=False, assert_same_host=False, preload_content=False,
            )  # fmt: skip
        except NewConnectionError:
            if i == len(dest.addresses) - 1:
                raise
    raise AssertionError("unreachable")  # addresses is never empty


def _excerpt(response) -> str:
    length = response.headers.get("Content-Length")
    if length is not None and length.isdigit() and int(length) <= SMALL_BODY_BYTES:
        raw = response.read()[: deliveries.EXCERPT_BYTES]  # read whole: the connection goes back to the pool
    else:
        raw = response.read(deliveries.EXCERPT_BYTES)
        response.close()  # unknown or large: drop the connection rather than read it all
    return raw.decode("utf-8", errors="replace")


def _shown(dest: Destination | None, excerpt: str | None) -> str | None:
    """The excerpt a merchant may read: only from a destination whose every address is public.

    An answer from a private or loopback address (allowed on the embedded default) is whatever
    an internal service said; showing it would turn a webhook URL into a way to read it.
    """
    if excerpt is None or (dest is not None and all(_is_public(a) for a in dest.addresses)):
        return excerpt
    return HIDDEN_EXCERPT


def send(claim: deliveries.Claim, settings) -> deliveries.AttemptResult:
    """POST the event's bytes, signed, within the send deadline; never raises — every outcome
    becomes an attempt record. A send the deadline cut is a failed attempt with no response code,
    even when the status line had arrived (the answer was never complete)."""
    attempted_at = utcnow()
    if not claim.secret:  # nothing is ever sent unsigned
        return deliveries.AttemptResult(None, None, "not sent: no secret to sign it with", 0, attempted_at)
    started = time.perf_counter()
    code = excerpt = error = dest = None
    watch = watchdog.start(settings.webhook_timeout_s)
    try:
        dest = resolve_destination(claim.url, settings.private_webhooks_allowed, watch)
        headers = {"User-Agent": USER_AGENT, "Content-Type": "application/json"}
        headers.update(
            signing.signature_headers(
                claim.secret, claim.event_id, claim.body, unix(attempted_at), previous=claim.previous_secrets, hex_header=claim.default_endpoint
            )
        )
        left = watch.remaining()
        response = _post(dest, claim.body, headers, urllib3.Timeout(connect=left, read=left))
        try:
            code = response.status
            excerpt = _excerpt(response)
        finally:
            if watch.expired:
                response.close()  # cut mid-answer: the connection never goes back to the pool
            response.release_conn()
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except DestinationRefused as exc:
        error = str(exc)
    except NewConnectionError:  # a subclass of urllib3's timeout: refused or unreachable, not slow
        error = "NewConnectionError: could not connect or send"
    except (Urllib3Timeout, TimeoutError):
        error = _timed_out(settings)
    except (HTTPError, OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: could not connect or send"
    finally:
        cut = watchdog.finish(watch)
    if cut:
        code, excerpt, error = None, None, _timed_out(settings)
    duration_ms = int((time.perf_counter() - started) * 1000)
    return deliveries.AttemptResult(code, _shown(dest, excerpt), error, duration_ms, attempted_at)


def _timed_out(settings) -> str:
    return f"timed out after {settings.webhook_timeout_s:g} s"
