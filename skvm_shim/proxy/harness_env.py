"""What a user pastes to point each supported harness at the proxy: the one source of truth.

``skvm-shim proxy --print-env`` prints these snippets, and the README and docs/proxy.md show
their bodies for the default address (a test compares them), so the two cannot drift. The shapes
are the ones verified against the real CLIs (Claude Code 2.1.197, Codex 0.169.0, pi 0.73.1,
opencode 1.18.33): Codex needs ``wire_api = "responses"`` and ``env_key``; pi takes a
``models.json`` provider with ``api`` and ``compat``; opencode an ``@ai-sdk/openai-compatible``
provider. Each harness gets its ``/h/{harness}`` prefix so its identity never depends on
recognising the request. With an access token, each snippet also sends ``X-Skvm-Proxy-Token``
from ``$SKVM_PROXY_TOKEN``; the token itself is never printed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from skvm_shim.proxy.auth import TOKEN_ENV

HEADER = "X-Skvm-Proxy-Token"
"""The token header (:data:`skvm_shim.proxy.headers.TOKEN_HEADER`) as configs spell it."""


OPENAI_MODEL = "gpt-5.1"
ANTHROPIC_MODEL = "claude-sonnet-4-5"


@dataclass(frozen=True)
class Snippet:
    """One harness's settings: comment lines saying where they go, and the text to paste."""

    harness: str
    """``claude-code``, ``codex``, ``pi``, ``opencode`` or ``sdk`` (any SDK-based harness)."""
    lang: str
    """The code-block language the docs show the body in: ``bash``, ``toml`` or ``json``."""
    comment: tuple[str, ...]
    body: str
    """Exactly what the docs show (no comment header, so JSON stays JSON)."""

    def render(self) -> str:
        """The snippet as ``--print-env`` prints it: ``# comment`` lines, then the body."""
        return "\n".join([*(f"# {line}" for line in self.comment), self.body])


_INLINE = 60
"""Objects and arrays up to this many characters stay on one line (readable, still JSON)."""


def _json(data: object, indent: int = 0) -> str:
    """Indented JSON that keeps small containers on one line, as people write config files."""
    flat = json.dumps(data)
    if not isinstance(data, (dict, list)) or not data or (indent and len(flat) <= _INLINE):
        return flat
    pad = " " * (indent + 2)
    if isinstance(data, dict):
        items = [f"{pad}{json.dumps(k)}: {_json(v, indent + 2)}" for k, v in data.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [f"{pad}{_json(v, indent + 2)}" for v in data]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def claude_code(base_url: str, *, token: bool) -> Snippet:
    lines = [f"export ANTHROPIC_BASE_URL={base_url}/h/claude-code"]
    if token:
        lines.append(f'export ANTHROPIC_CUSTOM_HEADERS="{HEADER}: ${TOKEN_ENV}"')
    comment = ('Claude Code: environment (or the "env" object of ~/.claude/settings.json)',)
    return Snippet("claude-code", "bash", comment, "\n".join(lines))


def codex(base_url: str, *, token: bool) -> Snippet:
    lines = [
        'model_provider = "skvm"',
        "[model_providers.skvm]",
        'name = "skvm-shim"',
        f'base_url = "{base_url}/h/codex/v1"',
        'env_key = "OPENAI_API_KEY"',
        'wire_api = "responses"',
    ]
    if token:
        lines.append(f'env_http_headers = {{ "{HEADER}" = "{TOKEN_ENV}" }}')
    comment = (
        "Codex: ~/.codex/config.toml (top-level keys before any table); key from $OPENAI_API_KEY",
    )
    return Snippet("codex", "toml", comment, "\n".join(lines))


def pi(base_url: str, *, token: bool) -> Snippet:
    extra: dict[str, object] = {"headers": {HEADER: TOKEN_ENV}} if token else {}
    config = {
        "providers": {
            "skvm-openai": {
                "baseUrl": f"{base_url}/h/pi/v1",
                "api": "openai-completions",
                "apiKey": "OPENAI_API_KEY",
                "compat": {"supportsDeveloperRole": False},
                **extra,
                "models": [{"id": OPENAI_MODEL}],
            },
            "skvm-anthropic": {
                "baseUrl": f"{base_url}/h/pi",
                "api": "anthropic-messages",
                "apiKey": "ANTHROPIC_API_KEY",
                **extra,
                "models": [{"id": ANTHROPIC_MODEL}],
            },
        }
    }
    comment = (
        "pi: ~/.pi/agent/models.json (apiKey and headers name environment variables); then",
        f"  pi --provider skvm-openai --model {OPENAI_MODEL}   (model ids are examples)",
    )
    return Snippet("pi", "json", comment, _json(config))


def opencode(base_url: str, *, token: bool) -> Snippet:
    options: dict[str, object] = {
        "baseURL": f"{base_url}/h/opencode/v1",
        "apiKey": "{env:OPENAI_API_KEY}",
    }
    if token:
        options["headers"] = {HEADER: f"{{env:{TOKEN_ENV}}}"}
    config = {
        "$schema": "https://opencode.ai/config.json",
        "provider": {
            "skvm": {
                "npm": "@ai-sdk/openai-compatible",
                "name": "skvm-shim",
                "options": options,
                "models": {OPENAI_MODEL: {"name": OPENAI_MODEL}},
            }
        },
        "model": f"skvm/{OPENAI_MODEL}",
    }
    comment = ("opencode: opencode.json in the project (model ids are examples)",)
    return Snippet("opencode", "json", comment, _json(config))


def sdk(base_url: str, *, token: bool) -> Snippet:
    lines = [
        f"export OPENAI_BASE_URL={base_url}/v1",
        f"export ANTHROPIC_BASE_URL={base_url}",
    ]
    if token:
        lines.append(
            f'# and add the header to the client: default_headers={{"{HEADER}":'
            f' os.environ["{TOKEN_ENV}"]}}'
        )
    comment = (
        "SDK-based harnesses (openai / anthropic clients in any language, OpenAI Agents SDK)",
    )
    return Snippet("sdk", "bash", comment, "\n".join(lines))


_HARNESSES: tuple[Callable[..., Snippet], ...] = (claude_code, codex, pi, opencode, sdk)


def snippets(base_url: str, *, token: bool = False) -> tuple[Snippet, ...]:
    """Every harness's snippet, in ``--print-env`` order, for a proxy at ``http://HOST:PORT``."""
    base_url = base_url.rstrip("/")
    return tuple(make(base_url, token=token) for make in _HARNESSES)


def snippet(harness: str, base_url: str, *, token: bool = False) -> Snippet:
    """One harness's snippet; ``KeyError`` names the valid ids."""
    found = {s.harness: s for s in snippets(base_url, token=token)}
    if harness not in found:
        raise KeyError(f"no snippet for {harness!r}; valid: {', '.join(found)}")
    return found[harness]


def render(base_url: str, *, token: bool = False) -> str:
    """``--print-env``: every snippet, for a proxy reachable at ``base_url`` (``http://HOST:PORT``)."""
    base_url = base_url.rstrip("/")
    blocks = [
        f"# skvm-shim proxy at {base_url}: paste the block for your harness.",
        *(s.render() for s in snippets(base_url, token=token)),
    ]
    return "\n\n".join(blocks) + "\n"
