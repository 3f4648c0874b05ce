"""With the SkVM-data corpus: import its profiles, compile one of its skills for Qwen3.5-9B from
the command line, and watch a patched openai client send that variant upstream.

Needs ``SKVM_CORPUS`` (the corpus folder with skills/ and profiles/); skipped with a message
elsewhere.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import skvm_shim
from skvm_shim.cli import main
from skvm_shim.records import VARIANTS
from skvm_shim.skills.model import Skill, split_variant
from skvm_shim.testing.upstream import ScriptedUpstream

pytestmark = pytest.mark.corpus

SKILL_NAME = "data-analysis"


@pytest.fixture
def corpus() -> Path:
    root = os.environ.get("SKVM_CORPUS")
    if not root:
        pytest.skip("SKVM_CORPUS is not set (point it at the SkVM-data corpus folder)")
    path = Path(root)
    if not (path / "skills" / SKILL_NAME).is_dir() or not (path / "profiles").is_dir():
        pytest.skip(f"SKVM_CORPUS={root} has no skills/{SKILL_NAME} and profiles/ folders")
    return path


@pytest.fixture
def unpatch_after() -> Iterator[None]:
    yield
    skvm_shim.unpatch()


def test_corpus_profiles_compile_and_serve(
    corpus: Path, home: Path, upstream: ScriptedUpstream, unpatch_after: None
) -> None:
    openai = pytest.importorskip("openai", reason="the openai SDK is not installed here")
    runner = CliRunner()

    def cli(*args: str) -> str:
        result = runner.invoke(main, ["--home", str(home), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    imported = json.loads(cli("profiles", "import", str(corpus / "profiles"), "--json"))
    assert len(imported) == 25
    assert {o["status"] for o in imported} == {"imported"}
    assert any(o["adjustments"] for o in imported)  # the monotone rule changed some levels
    assert {o["status"] for o in json.loads(cli("profiles", "import", str(corpus / "profiles"),
                                                "--json"))} == {"unchanged"}  # fmt: skip

    skill_dir = corpus / "skills" / SKILL_NAME
    (report,) = json.loads(cli("compile", str(skill_dir), "--model", "qwen3.5-9b", "--json"))
    assert report["status"] == "published", report["reason"]
    assert report["model_key"] == "qwen3-5-9b"
    assert report["profile_match"] == "same-model-bare-agent"
    assert report["provenance"]["profile_model"] == "openrouter/qwen/qwen3.5-9b"
    assert report["edits"], "the weak profile should get at least one pass-1 edit"
    readable = cli("compile", str(skill_dir), "--model", "qwen3.5-9b")
    assert "Edits (" in readable
    assert "Guard passed" in readable

    # A harness started later, knowing nothing but the home: the compiled skill is recognised
    # (the compile stored it) and its variant goes upstream for any spelling of the model.
    original = Skill.parse((skill_dir / "SKILL.md").read_text(encoding="utf-8"))
    shim = skvm_shim.patch(home=home)
    assert shim.store is not None
    record = shim.store.get(VARIANTS, report["variant_id"])
    assert record is not None
    client = openai.OpenAI(base_url=upstream.openai_base_url, api_key="sk-test", max_retries=0)
    upstream.script("ok")
    client.chat.completions.create(
        model="qwen/qwen3.5-9b",
        messages=[
            {"role": "system", "content": "Skill loaded:\n\n" + original.body},
            {"role": "user", "content": "Analyse sales.csv"},
        ],
    )
    sent = upstream.last_request.body["messages"][0]["content"]
    assert sent == "Skill loaded:\n\n" + split_variant(record.text)[1]
    assert original.body not in sent
    for edit in report["edits"]:
        assert edit["text"].strip() in sent
