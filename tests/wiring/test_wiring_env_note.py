"""The environment note: rendered at serve time from a cached presence check, pinned per session."""

from __future__ import annotations

from pathlib import Path

from compiler import Dependency, PresenceCache, load_skill_dir
from compiler.deps import extract_dependencies
from skvm_shim.env_note import EnvNotes
from skvm_shim.records import VariantRecord
from tests.wiring.helpers import REGION_DIGEST


class Probe:
    def __init__(self, present: set[str]) -> None:
        self.present = present
        self.calls: list[str] = []

    def __call__(self, dep: Dependency) -> bool | None:
        self.calls.append(dep.name)
        return dep.name in self.present


def _variant(tmp_path: Path, *, script: bool = True) -> VariantRecord:
    env = extract_dependencies(load_skill_dir(REGION_DIGEST))
    path = tmp_path / "env-setup.sh"
    if script:
        path.write_text("#!/usr/bin/env bash\n", encoding="utf-8")
    return VariantRecord(
        id="v-1",
        skill_hash="h",
        skill_name="region-digest",
        text="---\nname: region-digest\n---\n# Region Digest\n\nbody",
        model="m",
        harness="generic",
        env_deps=[d.model_dump(mode="json") for d in env.dependencies],
        provenance={"env_setup": str(path)},
    )


def test_note_lists_present_and_missing_with_the_script(tmp_path: Path) -> None:
    probe = Probe({"pandas", "python3"})
    notes = EnvNotes(PresenceCache(probe))
    variant = _variant(tmp_path)
    note = notes.note(variant, "session-1")
    assert note.startswith("Environment on this machine: present: python3, pandas; ")
    assert f"missing: pdftotext (run `bash {tmp_path / 'env-setup.sh'}` to install them)" in note
    served = notes.served(variant, "session-1")
    assert served.text == variant.text + "\n\n" + note
    assert variant.text.endswith("body")  # the stored record is untouched


def test_note_without_a_script_on_this_machine_has_no_run_hint(tmp_path: Path) -> None:
    notes = EnvNotes(PresenceCache(Probe(set())))
    note = notes.note(_variant(tmp_path, script=False), None)
    assert "missing: pdftotext, python3, pandas." in note
    assert "env-setup.sh" not in note


def test_a_session_keeps_its_note_and_presence_is_cached(tmp_path: Path) -> None:
    probe = Probe({"pandas"})
    now = [0.0]
    notes = EnvNotes(PresenceCache(probe, ttl_seconds=600, clock=lambda: now[0]))
    variant = _variant(tmp_path)
    first = notes.note(variant, "s1")
    assert len(probe.calls) == 3
    probe.present = {"pandas", "pdftotext", "python3"}  # someone ran env-setup.sh
    now[0] = 700.0
    assert notes.note(variant, "s1") == first  # pinned: the history stays byte-stable
    fresh = notes.note(variant, "s2")
    assert fresh != first
    assert "No installation needed." in fresh
    assert len(probe.calls) == 6  # re-probed once after the TTL, then cached


def test_no_dependencies_no_note(tmp_path: Path) -> None:
    variant = _variant(tmp_path).model_copy(update={"env_deps": []})
    notes = EnvNotes(PresenceCache(Probe(set())))
    assert notes.served(variant, "s") is variant
