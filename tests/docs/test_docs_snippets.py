"""The harness settings the README and docs/proxy.md show are what ``--print-env`` prints.

Both come from ``skvm_shim/proxy/harness_env.py``. A block in a document is tied to its harness
by a marker comment on the line above it, ``<!-- print-env: pi -->``; each marked block must equal
that harness's snippet for the default address, each of these documents must show every harness,
and a block that looks like harness settings without a marker is an error (it could drift).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from skvm_shim.cli import main
from skvm_shim.proxy import DEFAULT_PORT
from skvm_shim.proxy.harness_env import render, snippet, snippets
from tests.docs.conftest import DOCS, ROOT
from tests.docs.markdown import fenced_blocks

BASE_URL = f"http://127.0.0.1:{DEFAULT_PORT}"
_MARKER = re.compile(r"^<!--\s*print-env:\s*(?P<what>[\w -]+?)\s*-->$")
_TOKEN_TABLE = "token headers"
_LOOKS_LIKE_SETTINGS = re.compile(
    rf"127\.0\.0\.1:{DEFAULT_PORT}/h/|_BASE_URL=http://127\.0\.0\.1:{DEFAULT_PORT}"
)
HARNESSES = [s.harness for s in snippets(BASE_URL)]


def _marked(path: Path) -> list[tuple[int, str, str, str]]:
    """(line, harness, language, text) of every block with a print-env marker above it."""
    out = []
    for block in fenced_blocks(path.read_text(encoding="utf-8")):
        marker = _MARKER.match(block.before)
        if marker:
            out.append((block.line, marker["what"], block.lang, block.text))
    return out


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", DOCS, ids=_name)
def test_every_marked_block_is_exactly_what_print_env_prints(path: Path) -> None:
    for line, harness, lang, text in _marked(path):
        assert harness in HARNESSES, f"{_name(path)}:{line}: no harness {harness!r}"
        expected = snippet(harness, BASE_URL)
        assert text == expected.body, f"{_name(path)}:{line}: the {harness} block drifted"
        assert lang == expected.lang, f"{_name(path)}:{line}: shown as {lang!r}"


@pytest.mark.parametrize("name", ["README.md", "docs/proxy.md"])
def test_the_readme_and_the_proxy_doc_show_every_harness(name: str) -> None:
    shown = [harness for _, harness, _, _ in _marked(ROOT / name)]
    assert sorted(shown) == sorted(HARNESSES), f"{name} shows {shown}"


@pytest.mark.parametrize("path", DOCS, ids=_name)
def test_no_hand_written_harness_settings(path: Path) -> None:
    for block in fenced_blocks(path.read_text(encoding="utf-8")):
        if _LOOKS_LIKE_SETTINGS.search(block.text):
            assert _MARKER.match(block.before), (
                f"{_name(path)}:{block.line}: harness settings without a print-env marker"
            )


def test_print_env_prints_these_snippets() -> None:
    result = CliRunner().invoke(main, ["proxy", "--print-env"], env={"SKVM_PROXY_TOKEN": ""})
    assert result.exit_code == 0, result.output
    assert result.output == render(BASE_URL)
    for s in snippets(BASE_URL):
        assert f"\n{s.body}\n" in result.output, s.harness


def test_the_token_header_table_matches_the_token_snippets() -> None:
    """docs/proxy.md's table of how each harness sends the token is in the token snippets."""
    lines = (ROOT / "docs" / "proxy.md").read_text(encoding="utf-8").splitlines()
    start = next(
        i for i, ln in enumerate(lines) if _MARKER.match(ln.strip()) and _TOKEN_TABLE in ln
    )
    labels = {"Claude Code": "claude-code", "Codex": "codex", "pi": "pi", "opencode": "opencode"}
    labels["SDKs"] = "sdk"
    rows: dict[str, str] = {}
    for row in lines[start + 3 :]:
        if not row.startswith("|"):
            break
        label, how = (cell.strip() for cell in row.strip("|").split("|", 1))
        code = re.search(r"`([^`]+)`", how)
        assert code, row
        rows[labels[label]] = code[1]
    assert sorted(rows) == sorted(HARNESSES)

    def squash(text: str) -> str:
        return re.sub(r"\s+", "", text)

    for harness, how in rows.items():
        body = snippet(harness, BASE_URL, token=True).body
        assert squash(how) in squash(body), (harness, how, body)
