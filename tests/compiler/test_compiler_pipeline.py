from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from compiler import (
    PASS3_HEADING,
    TCP,
    HarnessFacts,
    PresenceCache,
    SkillSource,
    VariantWriteError,
    compile_skill,
    load_skill_dir,
    read_variant_folder,
    write_variant_folder,
)
from compiler.rewrite import RewriteResult
from compiler.scr import SCR

MakeSkill = Callable[..., SkillSource]
PARALLEL = HarnessFacts(harness="bare-agent", parallel_tool_calls=True)


@pytest.fixture
def digest(fixtures_dir: Path) -> SkillSource:
    return load_skill_dir(fixtures_dir / "skills" / "web-digest")


def test_compile_records_provenance(digest: SkillSource, tiny_tcp: TCP) -> None:
    result = compile_skill(digest, tcp=tiny_tcp, harness=PARALLEL, model="acme/tiny-1b")
    p = result.variant.provenance
    assert result.servable
    assert result.errors == ()
    assert (p.skill_hash, p.profile_id, p.harness, p.passes) == (
        digest.content_hash,
        tiny_tcp.profile_id,
        "bare-agent",
        (1, 2, 3),
    )
    assert p.analysers == {"scr": "rules", "rewrite": "rules", "plan": "rules"}
    assert p.compiler_model is None
    assert p.model == "acme/tiny-1b"
    assert set(p.timings_ms) == {"scr", "pass1", "pass2", "pass3", "guard", "total"}
    assert p.edits
    assert all(e.anchor for e in p.edits)
    assert {t.kind for t in p.transforms} >= {"compensate", "substitute"}
    assert result.variant.has_ilp
    assert result.variant.parallel_groups
    assert result.variant.skill_md.rstrip().split("\n")[-1].startswith("- ")  # hints at the end


def test_variant_id_is_content_addressed(digest: SkillSource, tiny_tcp: TCP, big_tcp: TCP) -> None:
    a = compile_skill(digest, tcp=tiny_tcp, harness=PARALLEL)
    b = compile_skill(digest, tcp=tiny_tcp, harness=PARALLEL)
    c = compile_skill(digest, tcp=big_tcp, harness=PARALLEL)
    assert a.variant.variant_id == b.variant.variant_id  # timings differ, content does not
    assert a.variant.variant_id != c.variant.variant_id
    assert a.variant.variant_id.startswith("v-")


def test_passes_subset_and_no_profile(digest: SkillSource, tiny_tcp: TCP) -> None:
    only2 = compile_skill(digest, tcp=tiny_tcp, passes=[2])
    assert only2.variant.skill_md == digest.skill_md
    assert only2.variant.env is not None
    assert only2.variant.dag is None
    assert only2.rewrite is None
    assert only2.variant.provenance.gaps == ()
    no_tcp = compile_skill(digest, tcp=None, harness=PARALLEL)
    assert no_tcp.rewrite is None
    assert no_tcp.scr.purposes
    assert PASS3_HEADING in no_tcp.variant.skill_md  # passes 2 and 3 still run
    with pytest.raises(ValueError, match="unknown pass"):
        compile_skill(digest, tcp=None, passes=[4])


def test_internal_faults_are_recorded_not_raised(digest: SkillSource, tiny_tcp: TCP) -> None:
    class Broken:
        name = "broken"

        def extract(self, skill: SkillSource) -> SCR:
            raise RuntimeError("boom")

    result = compile_skill(digest, tcp=tiny_tcp, extractor=Broken())
    assert any("scr: internal error: RuntimeError: boom" in e for e in result.errors)
    assert result.servable
    assert result.variant.env is not None


def test_guard_failure_makes_the_variant_unservable(digest: SkillSource, tiny_tcp: TCP) -> None:
    class Vandal:
        name = "vandal"

        def rewrite(self, skill: SkillSource, **kwargs: object) -> RewriteResult:
            return RewriteResult(
                text=skill.skill_md.replace("## Output", "## Results"), rewriter="vandal"
            )

    result = compile_skill(digest, tcp=tiny_tcp, rewriter=Vandal())  # type: ignore[arg-type]
    assert not result.servable
    assert "heading added: '## Results'" in result.variant.provenance.guard.violations


def test_env_note_is_rendered_at_serve_time(digest: SkillSource) -> None:
    variant = compile_skill(digest, tcp=None, passes=[2]).variant
    note = variant.env_note(
        PresenceCache(lambda d: d.name == "curl"), script_path="/srv/v/env-setup.sh"
    )
    assert note == (
        "Environment on this machine: present: curl; missing: jq "
        "(run `bash /srv/v/env-setup.sh` to install them)."
    )
    assert "Environment" not in variant.skill_md  # not baked into the stored text


def test_write_read_round_trip(digest: SkillSource, tiny_tcp: TCP, tmp_path: Path) -> None:
    result = compile_skill(digest, tcp=tiny_tcp, harness=PARALLEL)
    out = write_variant_folder(result, tmp_path / "variants" / result.variant.variant_id)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["SKILL.md", "dag.json", "dag.mmd", "env-setup.sh", "report.json"]
    assert os.access(out / "env-setup.sh", os.X_OK)
    report = json.loads((out / "report.json").read_text())
    assert report["variant_id"] == result.variant.variant_id
    assert report["servable"]
    assert report["provenance"]["edits"]
    assert report["scr"]["purposes"]
    assert json.loads((out / "dag.json").read_text())["parallelism"]
    back = read_variant_folder(out)
    assert back == result.variant
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp dirs left


def test_existing_folder_is_replaced_and_collisions_renamed(
    make_skill: MakeSkill, tmp_path: Path
) -> None:
    s = make_skill(
        "# R\n\n1. Read `a.md`\n2. Read `b.md`\n", {"report.json": b'{"mine": 1}', "a.md": b"A"}
    )
    result = compile_skill(s, tcp=None, harness=PARALLEL)
    target = tmp_path / "v"
    target.mkdir()
    (target / "stale.txt").write_text("old")
    write_variant_folder(result, target)
    assert not (target / "stale.txt").exists()
    assert json.loads((target / "report.json").read_text()) == {"mine": 1}  # the bundle's own file
    report = json.loads((target / "skvm-report.json").read_text())
    assert report["artifacts"]["report.json"] == "skvm-report.json"
    assert read_variant_folder(target) == result.variant


def test_failed_write_leaves_nothing(
    digest: SkillSource, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = compile_skill(digest, tcp=None)
    real = Path.write_text

    def failing(self: Path, *args: object, **kwargs: object) -> int:
        if self.name == "report.json":
            raise OSError(28, "No space left on device")
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", failing)
    with pytest.raises(VariantWriteError, match="No space left"):
        write_variant_folder(result, tmp_path / "v")
    assert list(tmp_path.iterdir()) == []


def test_crlf_skills_keep_their_line_endings(fixtures_dir: Path, tiny_tcp: TCP) -> None:
    text = (fixtures_dir / "skills" / "web-digest" / "SKILL.md").read_text().replace("\n", "\r\n")
    from compiler import parse_skill

    crlf = parse_skill(text)
    lf = load_skill_dir(fixtures_dir / "skills" / "web-digest")
    a = compile_skill(crlf, tcp=tiny_tcp, harness=PARALLEL)
    b = compile_skill(lf, tcp=tiny_tcp, harness=PARALLEL)
    assert a.servable, a.variant.provenance.guard.violations
    assert a.variant.skill_md == b.variant.skill_md.replace("\n", "\r\n")
    assert [e.text for e in a.edits] == [e.text for e in b.edits]
