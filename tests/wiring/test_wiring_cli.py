"""The command line: profiles import/list/show/alias, compile, variants list/show/diff/rm."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import skvm_shim
from skvm_shim.cli import main
from skvm_shim.records import SKILLS, VARIANT_SETS, VARIANTS
from skvm_shim.skills.model import split_variant
from skvm_shim.skills.registry import load_skill_file
from skvm_shim.store import Store
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.wiring.helpers import REGION_DIGEST, weak_tree, write_profile

SKILL = load_skill_file(REGION_DIGEST)


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)


def run_json(home: Path, *args: str) -> Any:
    result = run(home, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return weak_tree(tmp_path / "profiles")


def test_profiles_import_is_idempotent_and_reports_adjustments(home: Path, tree: Path) -> None:
    result = run(home, "profiles", "import", str(tree))
    assert result.exit_code == 0, result.output
    assert "2 imported; 0 levels adjusted by the monotone rule (isotonic-0.75)." in result.stdout
    again = run_json(home, "profiles", "import", str(tree))
    assert sorted(o["status"] for o in again) == ["unchanged", "unchanged"]
    assert {o["model_key"] for o in again} == {"small-9b", "large-400b"}
    listed = run_json(home, "profiles", "list")
    assert [(p["model_key"], p["harness"]) for p in listed] == [
        ("large-400b", "openclaw"),
        ("small-9b", "bare-agent"),
    ]
    one_folder = tree / "bare-agent" / "openrouter--acme--small-9b"
    assert run_json(home, "profiles", "import", str(one_folder))[0]["status"] == "unchanged"


def test_profiles_show_and_alias(home: Path, tree: Path) -> None:
    run(home, "profiles", "import", str(tree))
    missing = run(home, "profiles", "show", "tiny")
    assert missing.exit_code == 1
    assert "no stored profile for 'tiny'" in missing.output
    added = run(home, "profiles", "alias", "tiny", "openrouter/acme/small-9b")
    assert added.exit_code == 0, added.output
    assert "tiny -> openrouter/acme/small-9b  (key small-9b)" in added.stdout
    shown = run_json(home, "profiles", "show", "tiny", "--harness", "pi")
    assert (shown["match"], shown["model_key"]) == ("same-model-bare-agent", "small-9b")
    shell = next(p for p in shown["primitives"] if p["primitive"] == "gen.code.shell")
    assert (shell["measured"], shell["effective"]) == ("L1", "L1")
    table = run(home, "profiles", "show", "tiny")
    assert "gen.code.shell" in table.stdout
    cycle = run(home, "profiles", "alias", "small-9b", "tiny")
    assert cycle.exit_code == 2
    assert "cycle" in cycle.output
    assert run(home, "profiles", "alias", "--remove", "tiny").exit_code == 0
    assert run_json(home, "profiles", "alias") == []


def test_compile_writes_publishes_and_variants_commands_see_it(
    home: Path, tree: Path, tmp_path: Path
) -> None:
    run(home, "profiles", "import", str(tree))
    out = tmp_path / "out"
    result = run(
        home, "compile", str(REGION_DIGEST), "--model", "acme/small-9b", "--harness",
        "bare-agent", "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = result.stdout
    printed = set(re.findall(r"\bv-[0-9a-f]{8,}", text))
    flat = " ".join(text.split())
    (served_as,) = re.findall(
        r"published: served as (v-[0-9a-f]+) for \(small-9b, bare-agent\)", flat
    )
    assert printed == {served_as}  # one id: the headline's is the served one
    assert "Gaps (" in text
    assert "Edits (" in text
    assert "evidence SKILL.md:" in text
    assert "Guard passed" in text
    assert "Timings scr" in text
    assert "ILP w1s1, w1s2" in text
    assert {p.name for p in out.iterdir()} >= {"SKILL.md", "env-setup.sh", "report.json"}

    listed = run_json(home, "variants", "list")
    (row,) = listed
    assert (row["skill"], row["model"], row["harness"]) == (
        "region-digest",
        "small-9b",
        "bare-agent",
    )
    assert row["skill_hash"] == SKILL.hash
    vid = row["current"]
    assert vid == served_as
    (again,) = run_json(
        home, "compile", str(REGION_DIGEST), "--model", "acme/small-9b", "--harness",
        "bare-agent", "--out", str(out),
    )  # fmt: skip
    assert again["variant_id"] == again["served"] == again["compiled_id"] == vid
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["variant_id"] == vid  # the folder names the same id
    shown = run_json(home, "variants", "show", vid[:10])
    assert shown["id"] == vid
    assert shown["provenance"]["folder"] == str(out)
    assert shown["sets"][0]["current"] == vid
    diff = run(home, "variants", "diff", vid)
    assert diff.exit_code == 0, diff.output
    assert diff.stdout.startswith("--- region-digest/SKILL.md (original ")
    record = run_json(home, "variants", "show", vid)
    added = {ln[1:] for ln in diff.stdout.splitlines() if ln.startswith("+") and ln[1:3] != "++"}
    assert "## Parallel execution hints" in added  # pass 3's heading, and every edit's text
    for edit in record["provenance"]["edits"]:
        assert any(edit["text"].strip() in line for line in added), edit

    removed = run_json(home, "variants", "rm", vid)
    assert removed["removed_from"] == [
        {"skill_hash": SKILL.hash, "model": "small-9b", "harness": "bare-agent"}
    ]
    after = run_json(home, "variants", "list")
    assert after[0]["current"] == "original"
    assert after[0]["switches"] == 2
    history = run_json(home, "variants", "show", vid)["sets"][0]["history"]
    assert [(h["from_id"], h["to_id"]) for h in history] == [(None, vid), (vid, "original")]
    assert run(home, "variants", "rm", vid).exit_code == 1  # no longer served anywhere


def test_the_id_compile_prints_is_the_id_the_pipeline_serves(
    home: Path, tree: Path, upstream: ScriptedUpstream
) -> None:
    openai = pytest.importorskip("openai", reason="the openai SDK is not installed here")
    run(home, "profiles", "import", str(tree))
    (d,) = run_json(
        home, "compile", str(REGION_DIGEST), "--model", "acme/small-9b", "--harness", "bare-agent"
    )
    vid = d["variant_id"]
    assert d["status"] == "published"
    assert vid is not None
    assert Path(d["folder"]) == home / "variants" / vid
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    shim = skvm_shim.patch(home=home, harness="bare-agent", tracer_provider=provider)
    try:
        assert shim.store is not None
        record = shim.store.get(VARIANTS, vid)
        assert record is not None
        client = openai.OpenAI(base_url=upstream.openai_base_url, api_key="sk-test", max_retries=0)
        upstream.script("ok")
        client.chat.completions.create(
            model="openrouter/acme/small-9b",
            messages=[
                {"role": "system", "content": "Skill loaded:\n\n" + SKILL.body},
                {"role": "user", "content": "Digest the regions"},
            ],
        )
    finally:
        skvm_shim.unpatch()
    (span,) = [s for s in exporter.get_finished_spans() if s.name.startswith("chat ")]
    assert span.attributes is not None
    assert list(span.attributes["skvm.variant.ids"]) == [vid]
    sent = upstream.last_request.body["messages"][0]["content"]
    assert sent.startswith("Skill loaded:\n\n" + split_variant(record.text)[1])


def test_without_a_profile_nothing_is_published_and_the_reason_is_shown(
    home: Path, tmp_path: Path
) -> None:
    other = tmp_path / "notes"
    other.mkdir()
    (other / "SKILL.md").write_text(
        "---\nname: notes\ndescription: d\n---\n\n# Notes\n\nWrite short notes.\n", "utf-8"
    )
    data = run_json(home, "compile", str(REGION_DIGEST), str(other), "--model", "m")
    assert [d["status"] for d in data] == ["no-profile", "no-profile"]
    assert [d["profile_match"] for d in data] == ["none", "none"]
    for d in data:
        assert d["reason"].startswith(
            "no variant published: no capability profile for (m, generic)"
        )
        assert (d["variant_id"], d["served"], d["folder"]) == (None, "original", None)
    assert data[0]["env"]["dependencies"]  # pass 2 still reports what it found
    assert not (home / "variants").exists()
    with Store.open(home / "store") as store:
        assert store.count(VARIANTS) == store.count(VARIANT_SETS) == 0
    readable = run(home, "compile", str(REGION_DIGEST), "--model", "m")
    assert readable.exit_code == 0, readable.output
    assert "no-profile: no variant published: no capability profile for (m, generic)" in " ".join(
        readable.stdout.split()
    )
    assert not re.search(r"\bv-[0-9a-f]{8}", readable.stdout)  # no id of an unserved variant
    # --out still gets the folder (env-setup.sh, report.json) the user asked for.
    out = tmp_path / "out"
    (d,) = run_json(home, "compile", str(REGION_DIGEST), "--model", "m", "--out", str(out))
    assert d["folder"] == str(out)
    assert {"SKILL.md", "env-setup.sh", "report.json"} <= {p.name for p in out.iterdir()}
    assert run_json(home, "variants", "list") == []


def test_identical_text_is_not_published_even_with_dependencies(home: Path, tree: Path) -> None:
    """The strong model needs no edit and ``generic`` gets no parallel hints: the compiled text
    is the original's, so nothing is published although pass 2 found dependencies."""
    run(home, "profiles", "import", str(tree))
    (d,) = run_json(home, "compile", str(REGION_DIGEST), "--model", "acme/large-400b")
    assert d["status"] == "unchanged"
    assert d["reason"] == (
        "no variant published: the compiled text is identical to the original; "
        "the original is served"
    )
    assert d["env"]["dependencies"]
    assert (d["variant_id"], d["served"], d["folder"]) == (None, "original", None)
    (row,) = run_json(home, "variants", "list")
    assert (row["model"], row["current"]) == ("large-400b", "original")
    assert not (home / "variants").exists()
    with Store.open(home / "store") as store:
        assert store.count(VARIANTS) == 0


def test_compile_passes_and_profile_file_options(home: Path, tree: Path) -> None:
    profile = tree / "bare-agent" / "openrouter--acme--small-9b" / "latest.json"
    data = run_json(
        home, "compile", str(REGION_DIGEST), "--model", "whatever", "--passes", "2",
        "--profile", str(profile),
    )  # fmt: skip
    assert data[0]["provenance"]["passes"] == [2]
    assert data[0]["profile_match"] == "file"
    assert data[0]["dag"] is None
    assert data[0]["env"]["dependencies"]


def test_compile_for_an_all_l0_model_reports_its_explicit_path(home: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    profile = root / "profiles" / "bare-agent" / "smollm2-135m-instruct" / "latest.json"
    skill = root / "examples" / "skills" / "csv-stats"
    result = run(home, "compile", str(skill), "--model", "smollm2", "--profile", str(profile))
    assert result.exit_code == 0, result.output
    flat = " ".join(result.stdout.split())
    assert "Explicit path" in flat
    assert "follow.procedure L0" in flat
    assert "python3 scripts/profile_csv.py data.csv --out stats.json" in flat


# -- bad input ----------------------------------------------------------------------------------


def _bad_skills(root: Path) -> dict[str, tuple[Path, str]]:
    """Each bad skill folder and the file its error must name."""
    cases: dict[str, tuple[Path, str]] = {}

    def skill(name: str, text: bytes) -> Path:
        folder = root / name
        folder.mkdir(parents=True)
        (folder / "SKILL.md").write_bytes(text)
        return folder

    good = b"---\nname: s\ndescription: d\n---\n\n# S\n"
    f = skill("no-frontmatter", b"# Just a heading\n\nbody\n")
    cases["no-frontmatter"] = (f, str(f / "SKILL.md"))
    f = skill("broken-frontmatter", b"---\nname: [unclosed\n---\n\n# S\n")
    cases["broken-frontmatter"] = (f, str(f / "SKILL.md"))
    f = skill("binary", good)
    (f / "notes.md").write_bytes(b"\x00\x01\x02\x03 binary")
    cases["binary"] = (f, str(f / "notes.md"))
    f = skill("huge", good + b"x" * (5 * 1024 * 1024))
    cases["huge"] = (f, str(f / "SKILL.md"))
    f = skill("latin-1", b"---\nname: s\ndescription: caf\xe9\n---\n\n# S\n")
    cases["latin-1"] = (f, str(f / "SKILL.md"))
    f = skill("symlink-loop", good)
    (f / "sub").mkdir()
    os.symlink("..", f / "sub" / "up")
    cases["symlink-loop"] = (f, str(f / "sub" / "up"))
    return cases


@pytest.mark.parametrize(
    "case", ["no-frontmatter", "broken-frontmatter", "binary", "huge", "latin-1", "symlink-loop"]
)
def test_bad_skill_exits_2_naming_the_file_and_writes_nothing(
    case: str, home: Path, tmp_path: Path
) -> None:
    folder, named = _bad_skills(tmp_path / "skills")[case]
    result = run(home, "compile", str(REGION_DIGEST), str(folder), "--model", "m")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert named in result.stderr
    assert "Traceback" not in result.output
    assert not (home / "variants").exists()  # the good skill was not compiled either
    if (home / "store").exists():
        with Store.open(home / "store") as store:
            assert store.count(VARIANTS) == store.count(VARIANT_SETS) == store.count(SKILLS) == 0


def test_bad_options_exit_2(home: Path, tmp_path: Path) -> None:
    bad_profile = tmp_path / "profile.json"
    bad_profile.write_text('{"model": "m"}', encoding="utf-8")
    cases = [
        (["--model", "m", "--profile", str(bad_profile)], str(bad_profile)),
        (["--model", "m", "--passes", "1,4"], "passes are 1, 2 and 3"),
        (["--model", "m", "--harness", "emacs"], "emacs"),
        (["--model", "m", "--compiler-model", "gemini/x"], "gemini/x"),
        ([str(tmp_path / "missing"), "--model", "m"], str(tmp_path / "missing")),
    ]
    for args, named in cases:
        skill = [] if args[0].startswith(str(tmp_path)) else [str(REGION_DIGEST)]
        result = run(home, "compile", *skill, *args)
        assert result.exit_code == 2, (args, result.output)
        assert named in result.output, (args, result.output)
        assert "Traceback" not in result.output
    assert not (home / "variants").exists()


def test_bad_profile_import_exits_2(home: Path, tmp_path: Path) -> None:
    root = weak_tree(tmp_path / "profiles")
    broken = write_profile(
        root, {"model": "acme/broken", "harness": "bare-agent"}, name="latest.json"
    )
    result = run(home, "profiles", "import", str(root))
    assert result.exit_code == 2
    assert str(broken) in result.output
    assert "Traceback" not in result.output
    if (home / "store").exists():
        with Store.open(home / "store") as store:
            from skvm_shim.profiles_store import PROFILES

            assert store.count(PROFILES) == 0  # all or nothing


def test_compiler_model_calls_are_marked_and_fall_back_to_rules(
    home: Path, tree: Path, upstream: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--compiler-model goes through the SDK (marked internal); malformed answers fall back."""
    pytest.importorskip("openai", reason="the openai SDK is not installed here")
    monkeypatch.setenv("OPENAI_BASE_URL", upstream.openai_base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    upstream.script(*["this is not JSON"] * 12)
    profile = tree / "bare-agent" / "openrouter--acme--small-9b" / "latest.json"
    (data,) = run_json(
        home, "compile", str(REGION_DIGEST), "--model", "m", "--compiler-model", "openai/scripted",
        "--profile", str(profile),
    )  # fmt: skip
    assert upstream.requests
    assert all(r.headers.get("x-skvm-internal") == "1" for r in upstream.requests)
    assert all(r.body["model"] == "scripted" for r in upstream.requests)
    assert data["llm_calls"]
    assert not any(call["ok"] for call in data["llm_calls"])
    assert any("used the rules instead" in e for e in data["errors"])
    assert data["status"] == "published"
    assert data["provenance"]["compiler_model"] == "openai/scripted"
