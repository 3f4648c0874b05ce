"""``skvm-shim proxy`` on the command line: refusals, --print-env, and a real foreground run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import httpx2
import pytest
from click.testing import CliRunner

from skvm_shim.cli import main
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.proxy.conftest import free_port
from tests.sdk.calls import strings
from tests.sdk.conftest import MODEL, SKILL, SKILL_DIR

TOKEN = "cli-token-8c2b7e1d40f9"


def _blocks(text: str) -> dict[str, str]:
    """--print-env output split into its blocks, keyed by each block's first comment word."""
    out: dict[str, str] = {}
    for block in text.split("\n\n"):
        first = block.splitlines()[0]
        out.setdefault(first.lstrip("# ").split(":")[0], block)
    return out


def _body(block: str) -> str:
    return "\n".join(line for line in block.splitlines() if not line.startswith("#"))


def test_print_env_gives_working_configs_for_every_harness() -> None:
    result = CliRunner().invoke(
        main, ["proxy", "--port", "9911", "--print-env"], env={"SKVM_PROXY_TOKEN": ""}
    )
    assert result.exit_code == 0, result.output
    blocks = _blocks(result.output)
    base = "http://127.0.0.1:9911"
    assert f"export ANTHROPIC_BASE_URL={base}/h/claude-code" in blocks["Claude Code"]
    codex = tomllib.loads(_body(blocks["Codex"]))
    assert codex["model_provider"] == "skvm"
    provider = codex["model_providers"]["skvm"]
    assert provider["base_url"] == f"{base}/h/codex/v1"
    assert provider["wire_api"] == "responses"
    assert provider["env_key"] == "OPENAI_API_KEY"
    pi = json.loads(_body(blocks["pi"]))["providers"]
    assert pi["skvm-openai"]["baseUrl"] == f"{base}/h/pi/v1"
    assert pi["skvm-openai"]["api"] == "openai-completions"
    assert pi["skvm-openai"]["compat"] == {"supportsDeveloperRole": False}
    assert pi["skvm-anthropic"]["baseUrl"] == f"{base}/h/pi"
    opencode = json.loads(_body(blocks["opencode"]))
    options = opencode["provider"]["skvm"]["options"]
    assert options["baseURL"] == f"{base}/h/opencode/v1"
    assert opencode["provider"]["skvm"]["npm"] == "@ai-sdk/openai-compatible"
    sdk = blocks[
        "SDK-based harnesses (openai / anthropic clients in any language, OpenAI Agents SDK)"
    ]
    assert f"export OPENAI_BASE_URL={base}/v1" in sdk
    assert f"export ANTHROPIC_BASE_URL={base}\n" in sdk + "\n"
    assert "Skvm-Proxy-Token" not in result.output


def test_print_env_with_a_token_adds_the_header_but_never_the_token() -> None:
    result = CliRunner().invoke(
        main,
        ["proxy", "--host", "0.0.0.0", "--allow-remote", "--print-env"],
        env={"SKVM_PROXY_TOKEN": TOKEN},
    )
    assert result.exit_code == 0, result.output
    assert TOKEN not in result.output
    blocks = _blocks(result.output)
    assert (
        'ANTHROPIC_CUSTOM_HEADERS="X-Skvm-Proxy-Token: $SKVM_PROXY_TOKEN"' in blocks["Claude Code"]
    )
    codex = tomllib.loads(_body(blocks["Codex"]))
    headers = codex["model_providers"]["skvm"]["env_http_headers"]
    assert headers == {"X-Skvm-Proxy-Token": "SKVM_PROXY_TOKEN"}
    pi = json.loads(_body(blocks["pi"]))["providers"]
    assert pi["skvm-openai"]["headers"] == {"X-Skvm-Proxy-Token": "SKVM_PROXY_TOKEN"}
    opencode = json.loads(_body(blocks["opencode"]))
    assert opencode["provider"]["skvm"]["options"]["headers"] == {
        "X-Skvm-Proxy-Token": "{env:SKVM_PROXY_TOKEN}"
    }
    assert "http://127.0.0.1:8788" in result.output  # a wildcard bind is reached on loopback


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--host", "0.0.0.0"], {}, "--allow-remote"),
        (["--host", "0.0.0.0", "--allow-remote"], {}, "SKVM_PROXY_TOKEN"),
        (["--host", "10.1.2.3", "--allow-remote"], {"SKVM_PROXY_TOKEN": "abc"}, "at least 16"),
    ],
)
def test_refuses_to_start_without_both_allow_remote_and_a_token(
    args: list[str], env: dict[str, str], expected: str
) -> None:
    result = CliRunner().invoke(main, ["proxy", *args], env={"SKVM_PROXY_TOKEN": "", **env})
    assert result.exit_code != 0
    assert expected in result.output


def test_the_command_serves_until_interrupted(upstream: ScriptedUpstream, tmp_path: Path) -> None:
    """The real entry point in a process of its own: serve, rewrite a skill, stop on SIGINT."""
    import openai

    from skvm_shim.store import Store
    from skvm_shim.variants import publish_variant

    home = tmp_path / "cli-home"
    variant = SKILL.text.replace("# CSV statistics\n", "# CSV statistics\n\nCLI-VARIANT\n")
    with Store.open(home / "store") as store:
        publish_variant(store, skill=SKILL, text=variant, model=MODEL, harness="generic")
    port = free_port()
    env = {
        **os.environ,
        "SKVM_UPSTREAM_OPENAI": upstream.openai_base_url,
        "SKVM_UPSTREAM_ANTHROPIC": upstream.base_url,
        "SKVM_PROXY_TOKEN": "",
        "SKVM_HOME": str(home),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from skvm_shim.cli import main; main()",
            "proxy",
            *("--port", str(port), "--skills", str(SKILL_DIR)),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx2.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the proxy did not come up"
            time.sleep(0.1)
        client = openai.OpenAI(base_url=base + "/v1", api_key="sk-cli", max_retries=0)
        upstream.script("served by the CLI")
        answer = client.chat.completions.create(
            model=MODEL,
            messages=[
                {"role": "system", "content": "Skill:\n\n" + SKILL.body},
                {"role": "user", "content": "hi"},
            ],
        )
        assert answer.choices[0].message.content == "served by the CLI"
        assert "CLI-VARIANT" in strings(upstream.last_request.body)
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert f"skvm-shim proxy on http://127.0.0.1:{port}" in out
    assert "sk-cli" not in out + err
