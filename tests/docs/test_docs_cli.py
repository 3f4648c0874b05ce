"""Every ``skvm-shim`` command and option the README and docs/ show exists in the CLI.

The check (``tests/docs/cli_check.py``) resolves commands with the CLI's own click group and
parses options with each command's own parser; the fixture documents show that it reports a
wrong option, subcommand, alternative, choice and options table by document and line, and that
it accepts every notation the docs use.
"""

from __future__ import annotations

import subprocess
import sys

from skvm_shim.cli import main
from tests.docs.cli_check import check_docs, shown_commands
from tests.docs.conftest import DOCS, FIXTURES, ROOT


def test_every_command_in_the_readme_and_docs_matches_the_cli() -> None:
    problems = check_docs(DOCS, ROOT, main)
    assert not problems, "docs disagree with the CLI:\n" + "\n".join(map(str, problems))


def test_the_docs_show_commands_at_all() -> None:
    """The extraction finds the commands (an extractor that finds nothing would pass anything)."""
    shown = {(s.doc, s.text.split("#")[0].strip()) for d in DOCS for s in shown_commands(d, ROOT)}
    assert ("README.md", "skvm-shim proxy --print-env") in shown
    assert ("docs/jit.md", "skvm-shim jit reset ID... | --skill NAME | --all") in shown
    assert any(doc == "docs/local-model.md" and "--threads" in text for doc, text in shown)
    assert any(doc == "docs/profiler.md" and "--api-key-env" in text for doc, text in shown)


def test_a_wrong_option_and_a_wrong_subcommand_are_reported_with_document_and_line() -> None:
    problems = [str(p) for p in check_docs([FIXTURES / "cli_bad.md"], ROOT, main)]
    doc = "tests/docs/fixtures/cli_bad.md"
    expected = [
        (f"{doc}:5:", "`skvm-shim proxy` has no option `--no-such-option`"),
        (f"{doc}:9:", "`skvm-shim` has no command `varients`"),
        (f"{doc}:12:", "`skvm-shim jit` has no command `rset`"),
        (f"{doc}:13:", "`skvm-shim profile` option `--harness` has no choice `claude`"),
        (f"{doc}:24:", "`skvm-shim local-model serve` has no option `--gpu-layers`"),
        (f"{doc}:17:", "the table of `skvm-shim local-model serve` options lacks --threads"),
    ]
    for where, what in expected:
        assert any(p.startswith(where) and what in p for p in problems), (where, what, problems)
    assert len(problems) == len(expected), problems


def test_a_correct_document_in_every_notation_passes() -> None:
    shown = shown_commands(FIXTURES / "cli_good.md", ROOT)
    assert len(shown) >= 12  # every line above was found, none silently skipped
    assert check_docs([FIXTURES / "cli_good.md"], ROOT, main) == []


def test_python_m_local_model_is_the_same_parser_as_the_cli() -> None:
    """The check reads ``python -m skvm_shim.local_model`` as ``skvm-shim local-model``: it is."""

    def help_text(module: str, *args: str, prog: str) -> str:
        argv = [sys.executable, "-m", module, *args, "serve", "--help"]
        out = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=ROOT).stdout
        return out.replace(prog, "PROG")

    direct = help_text("skvm_shim.local_model", prog="python -m skvm_shim.local_model serve")
    cli = help_text("skvm_shim.cli", "local-model", prog="skvm-shim local-model serve")
    assert direct == cli
    assert "--threads" in direct
