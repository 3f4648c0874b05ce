"""Where the profiled model is: an OpenAI- or Anthropic-compatible endpoint, the embedded local
model by default, and the SDK client that talks to it."""

from __future__ import annotations

import ipaddress
import json
import os
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from compiler.marker import INTERNAL_HEADERS
from skvm_shim.bare_agent import Api
from skvm_shim.local_model.server import DEFAULT_PORT

LOCAL_MODEL_URL = f"http://127.0.0.1:{DEFAULT_PORT}/v1"
KEY_ENV: dict[Api, str] = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
_PLACEHOLDER_KEY = "sk-skvm-local-unused"


class EndpointError(ValueError):
    """No usable endpoint or credentials: the message says what to pass."""


def served_models(base_url: str, *, timeout: float = 2.0) -> list[str] | None:
    """The model ids an OpenAI-compatible server lists, or None when it does not answer."""
    request = urllib.request.Request(base_url.rstrip("/") + "/models", headers=INTERNAL_HEADERS)  # noqa: S310
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            data = json.loads(response.read())
    except (urllib.error.URLError, TimeoutError, OSError, json.JSONDecodeError):
        return None
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None
    return [str(i["id"]) for i in items if isinstance(i, dict) and "id" in i]


def resolve(base_url: str | None, model: str | None, api: Api) -> tuple[str, str]:
    """(base URL, model): as given, or the local model when it runs on its default port."""
    if base_url is not None:
        if model is None:
            listed = served_models(base_url) if api == "openai" else None
            if not listed:
                raise EndpointError("--model is required (the endpoint lists no models)")
            model = listed[0]
        return base_url, model
    if api != "openai":
        raise EndpointError("--base-url is required with --api anthropic")
    listed = served_models(LOCAL_MODEL_URL)
    if not listed:
        raise EndpointError(
            f"no --base-url given and no local model answers at {LOCAL_MODEL_URL}; start it with"
            " `skvm-shim local-model serve` or pass --base-url"
        )
    return LOCAL_MODEL_URL, model or listed[0]


def is_loopback(base_url: str) -> bool:
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def api_key(api: Api, base_url: str, env_name: str | None = None) -> str:
    """The key from ``env_name`` (default OPENAI_API_KEY / ANTHROPIC_API_KEY); a loopback
    endpoint without one gets a placeholder (local servers ignore it, the SDKs insist on one)."""
    name = env_name or KEY_ENV[api]
    key = os.environ.get(name)
    if key:
        return key
    if is_loopback(base_url):
        return _PLACEHOLDER_KEY
    raise EndpointError(f"set {name} (or pass --api-key-env NAME) for {base_url}")


def make_client(api: Api, base_url: str, key: str, *, max_retries: int = 0) -> Any:
    """An ``openai.OpenAI`` or ``anthropic.Anthropic`` for ``base_url``; every request it sends
    carries the shim-internal marker, so a patched process never intercepts it.

    No SDK retries by default: a retry would start a whole new request timeout past the
    instance's deadline (measured: a 120 s budget became 151 s). A transient failure skips the
    instance instead, and resuming the run retries it."""
    if api == "anthropic":
        import anthropic

        return anthropic.Anthropic(
            base_url=base_url,
            api_key=key,
            max_retries=max_retries,
            default_headers=INTERNAL_HEADERS,
        )
    import openai

    return openai.OpenAI(
        base_url=base_url, api_key=key, max_retries=max_retries, default_headers=INTERNAL_HEADERS
    )
