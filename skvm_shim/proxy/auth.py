"""Who may use the proxy: loopback by default; anything wider only with an access token.

Binding a non-loopback address needs both ``--allow-remote`` and a token (``SKVM_PROXY_TOKEN``);
clients then present it in the ``X-Skvm-Proxy-Token`` header, which every supported harness can
add (Claude Code ``ANTHROPIC_CUSTOM_HEADERS``, Codex ``env_http_headers``, pi and opencode
``headers``, SDKs ``default_headers``). The token is separate from the upstream API key, which the
client keeps sending as usual and the proxy forwards untouched; the token header is removed
before the request goes upstream.
"""

from __future__ import annotations

import hmac
import ipaddress

from skvm_shim.proxy.headers import TOKEN_HEADER, RawHeaders

TOKEN_ENV = "SKVM_PROXY_TOKEN"  # noqa: S105 - the variable's name, not a token
MIN_TOKEN_LENGTH = 16
_TOKEN = TOKEN_HEADER.encode("latin-1")


class BindRefused(ValueError):
    """The proxy must not serve this address with this configuration."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, *, allow_remote: bool, token: str | None) -> None:
    """Raise :class:`BindRefused` unless serving ``host`` is safe as configured."""
    if is_loopback(host):
        return
    if not allow_remote:
        raise BindRefused(
            f"refusing to listen on {host!r}: it is not a loopback address. The proxy forwards"
            " your API keys' requests, so serving other machines needs --allow-remote and an"
            f" access token in {TOKEN_ENV} that clients send in the {TOKEN_HEADER} header."
        )
    if not token:
        raise BindRefused(
            f"refusing to listen on {host!r} without an access token: set {TOKEN_ENV} (at least"
            f" {MIN_TOKEN_LENGTH} characters, e.g. `export {TOKEN_ENV}=$(openssl rand -hex 24)`);"
            f" clients send it in the {TOKEN_HEADER} header."
        )
    if len(token) < MIN_TOKEN_LENGTH:
        raise BindRefused(
            f"{TOKEN_ENV} is {len(token)} characters long; a token guarding a non-loopback"
            f" address needs at least {MIN_TOKEN_LENGTH}."
        )


class TokenCheck:
    """Compares the presented token in constant time."""

    def __init__(self, token: str | None) -> None:
        self._token = token.encode("utf-8") if token else None

    @property
    def required(self) -> bool:
        return self._token is not None

    def allows(self, headers: RawHeaders) -> bool:
        if self._token is None:
            return True
        for name, value in headers:
            if name == _TOKEN:
                return hmac.compare_digest(value.strip(), self._token)
        return False
