"""Where webhooks may go: only to globally routable addresses, checked at registration and again at
every delivery, and the delivery connects to the very address that was checked.

:func:`check_url` is the registration check (the API and the admin form alike): the URL's form, https in
production, a host that is a dotted name or a standard IP literal (never ``127.1``, ``2130706433``,
``0x7f000001``, ``0177.0.0.1``, ``0`` or a single-label name), and every address the name resolves to
globally routable (``ipaddress`` ``is_global``). :func:`resolve_target` does the same at delivery and
returns the checked address; :func:`pinned_request` turns a URL into the request that connects to that
address while the TLS server name and the ``Host`` header stay the name (no second resolution between
check and connect). Redirects are never followed (the delivery client's ``follow_redirects=False``).

``FAIRRECRUIT_WEBHOOK_ALLOW_PRIVATE`` (off by default, everywhere) lets development and tests reach a
receiver on a loopback or private address; the form rules still apply.

Names are resolved by the resolver set with :func:`set_resolver` (the system's ``getaddrinfo`` unless a
test sets its own).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from registry.errors import InvalidInput

MAX_URL_LENGTH = 500
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

# A label made only of digits, or a hexadecimal number: an address written in one of the forms that
# C's inet_aton accepts (127.1, 2130706433, 0x7f000001, 0177.0.0.1, 0), never a host name.
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$", re.IGNORECASE)


class TargetRefused(InvalidInput):
    """The URL's host is not a place webhooks may go (its code says why)."""


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the system's resolver)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


_resolver: Resolver = system_resolver


def set_resolver(resolver: Resolver | None) -> Resolver:
    """Resolve names with `resolver` from now on (None: the system's); returns the one it replaces."""
    global _resolver
    previous, _resolver = _resolver, resolver or system_resolver
    return previous


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str  # the name (or IP literal) as written, lower case, without a trailing dot
    port: int
    address: IPAddress  # the checked address to connect to


def _refuse(message: str, code: str, **params) -> TargetRefused:
    return TargetRefused(message, field="url", code=code, params=params or None)


def parse(url: str, *, production: bool, allow_private: bool = False) -> tuple[str, str, str, int]:
    """(url, scheme, host, port) of a well-formed webhook URL; refuses malformed URLs, plain http in
    production, addresses in disguise (``127.1``, ``2130706433``...) and, unless `allow_private`,
    single-label and local names (``intranet``, ``localhost``, ``*.internal``)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refuse("the URL is not valid", "url_invalid") from None
    if parts.scheme not in ("https", "http") or not parts.hostname or len(url) > MAX_URL_LENGTH:
        raise _refuse(
            f"the URL must be an absolute https:// URL of at most {MAX_URL_LENGTH} characters",
            "url_invalid",
            max_length=MAX_URL_LENGTH,
        )
    if production and parts.scheme != "https":
        raise _refuse("webhook URLs must use https://", "url_not_https")
    if parts.username is not None or parts.password is not None:
        raise _refuse("webhook URLs must not carry a user name or password", "url_invalid")
    host = parts.hostname.rstrip(".").lower()
    port = port or (443 if parts.scheme == "https" else 80)
    if _literal(host) is None:
        labels = host.split(".")
        if _NUMERIC_LABEL.match(labels[-1]):  # no top-level domain is a number: an address in disguise
            raise _refuse(
                "webhook URLs must name a public host or a standard IP address",
                "url_not_public",
            )
        if not all(_LABEL.match(label) for label in labels):
            raise _refuse("the host name of the URL is not valid", "url_invalid")
        if allow_private:
            pass  # a local receiver (development, tests): its addresses are not checked either
        elif len(labels) < 2:
            raise _refuse(
                "webhook URLs need a full public host name (e.g. hooks.example.com)", "url_not_public"
            )
        elif host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".localdomain")):
            raise _refuse("webhook URLs must point to a public host", "url_not_public")
    return url, parts.scheme, host, port


def _literal(host: str) -> IPAddress | None:
    """The address when `host` is a standard IP literal (dotted quad without leading zeros, or IPv6)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_global
    return address.is_global


def resolve_target(url: str, *, production: bool, allow_private: bool) -> Target:
    """Check `url` and resolve its host: the Target to connect to, or TargetRefused (``url_invalid``,
    ``url_not_https``, ``url_not_public``, ``url_unresolvable``). Every address the name resolves to must
    be globally routable unless `allow_private`; the first one is the one to connect to."""
    url, scheme, host, port = parse(url, production=production, allow_private=allow_private)
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            found = _resolver(host, port)
        except (OSError, UnicodeError):
            found = []
        addresses = [a for a in (_literal(str(x).split("%", 1)[0]) for x in found) if a is not None]
        if not addresses:
            raise _refuse(f"the host {host} of the webhook URL could not be resolved", "url_unresolvable")
    if not allow_private and not all(_public(a) for a in addresses):
        raise _refuse("webhook URLs must point to a public address", "url_not_public")
    return Target(url, scheme, host, port, addresses[0])


def check_url(url: str, *, production: bool, allow_private: bool) -> str:
    """The registration check: the URL (stripped) when webhooks may go there; TargetRefused otherwise."""
    return resolve_target(url, production=production, allow_private=allow_private).url


def pinned_request(target: Target) -> tuple[str, dict[str, str], dict]:
    """(URL naming the checked address, headers, httpx request extensions) for a request to `target`:
    the connection goes to ``target.address``; the Host header and the TLS server name (SNI, and the
    certificate check) stay the host name."""
    parts = urlsplit(target.url)
    address = target.address
    shown = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
    default = 443 if target.scheme == "https" else 80
    netloc = shown if target.port == default else f"{shown}:{target.port}"
    host_header = target.host if target.port == default else f"{target.host}:{target.port}"
    if _literal(target.host) is not None and isinstance(_literal(target.host), ipaddress.IPv6Address):
        host_header = f"[{target.host}]" if target.port == default else f"[{target.host}]:{target.port}"
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    extensions: dict = {}
    if target.scheme == "https" and _literal(target.host) is None:
        extensions["sni_hostname"] = target.host
    return pinned, {"Host": host_header}, extensions
