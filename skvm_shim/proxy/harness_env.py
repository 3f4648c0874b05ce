"""What a user pastes to point each supported harness at the proxy (``--print-env``).

The shapes are the ones verified against the real CLIs (Claude Code 2.1.197, Codex 0.169.0,
pi 0.73.1, opencode 1.18.33): Codex needs ``wire_api = "responses"`` and ``env_key``; pi takes a
``models.json`` provider with ``api`` and ``compat``; opencode an ``@ai-sdk/openai-compatible``
provider. Each harness gets its ``/h/{harness}`` prefix so its identity never depends on
recognising the request. With an access token, each block also sends ``X-Skvm-Proxy-Token``
from ``$SKVM_PROXY_TOKEN``; the token itself is never printed.
"""

from __future__ import annotations

import json

from skvm_shim.proxy.auth import TOKEN_ENV

HEADER = "X-Skvm-Proxy-Token"
"""The token header (:data:`skvm_shim.proxy.headers.TOKEN_HEADER`) as configs spell it."""


OPENAI_MODEL = "gpt-5.1"
ANTHROPIC_MODEL = "claude-sonnet-4-5"


def _json(data: object) -> str:
    return json.dumps(data, indent=2)


def claude_code(base_url: str, *, token: bool) -> str:
    lines = [
        '# Claude Code: environment (or the "env" object of ~/.claude/settings.json)',
        f"export ANTHROPIC_BASE_URL={base_url}/h/claude-code",
    ]
    if token:
        lines.append(f'export ANTHROPIC_CUSTOM_HEADERS="{HEADER}: ${TOKEN_ENV}"')
    return "\n".join(lines)


def codex(base_url: str, *, token: bool) -> str:
    lines = [
        "# Codex: ~/.codex/config.toml (top-level keys before any table); key from $OPENAI_API_KEY",
        'model_provider = "skvm"',
        "[model_providers.skvm]",
        'name = "skvm-shim"',
        f'base_url = "{base_url}/h/codex/v1"',
        'env_key = "OPENAI_API_KEY"',
        'wire_api = "responses"',
    ]
    if token:
        lines.append(f'env_http_headers = {{ "{HEADER}" = "{TOKEN_ENV}" }}')
    return "\n".join(lines)


def pi(base_url: str, *, token: bool) -> str:
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
    return (
        "# pi: ~/.pi/agent/models.json (apiKey and headers name environment variables); then\n"
        f"#   pi --provider skvm-openai --model {OPENAI_MODEL}   (model ids are examples)\n"
        + _json(config)
    )


def opencode(base_url: str, *, token: bool) -> str:
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
    return "# opencode: opencode.json in the project (model ids are examples)\n" + _json(config)


def sdk(base_url: str, *, token: bool) -> str:
    lines = [
        "# SDK-based harnesses (openai / anthropic clients in any language, OpenAI Agents SDK)",
        f"export OPENAI_BASE_URL={base_url}/v1",
        f"export ANTHROPIC_BASE_URL={base_url}",
    ]
    if token:
        lines.append(
            f"# and add the header to the client: default_headers={{'{HEADER}':"
            f" os.environ['{TOKEN_ENV}']}}"
        )
    return "\n".join(lines)


def render(base_url: str, *, token: bool = False) -> str:
    """Every block, for a proxy reachable at ``base_url`` (``http://HOST:PORT``)."""
    base_url = base_url.rstrip("/")
    blocks = [
        f"# skvm-shim proxy at {base_url}: paste the block for your harness.",
        claude_code(base_url, token=token),
        codex(base_url, token=token),
        pi(base_url, token=token),
        opencode(base_url, token=token),
        sdk(base_url, token=token),
    ]
    return "\n\n".join(blocks) + "\n"
