from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from compiler import TCP, Level, ProfileLoadError, read_profile_file, read_profile_folder
from compiler.profiles import read_profile_tree
from compiler.tcp import HOLD_THRESHOLD, MONOTONE_RULE

MakeProfile = Callable[..., dict[str, Any]]


def tcp_with(
    make_profile_dict: MakeProfile, counts: dict[str, tuple[int, int, int]], **kw: Any
) -> TCP:
    return TCP.model_validate(make_profile_dict(counts, **kw))


def test_round_trips_the_skvm_json_unchanged(make_profile_dict: MakeProfile) -> None:
    data = make_profile_dict({"tool.exec": (1, 3, 3)})
    data["someFutureField"] = {"kept": True}
    data["details"][0]["levelResults"][0]["failureArtifacts"] = [
        {"convLog": "/x", "evalScript": "/y"}
    ]
    tcp = TCP.model_validate(data)
    assert tcp.to_skvm_dict() == data
    assert json.loads(tcp.to_skvm_json()) == data


@pytest.mark.parametrize(
    ("counts", "measured", "effective"),
    [
        ((3, 3, 3), Level.L3, Level.L3),
        ((3, 0, 3), Level.L3, Level.L1),  # L3 pass over an L2 failure: pooled 3/6 at L2-L3
        ((2, 3, 3), Level.L3, Level.L3),  # one L1 miss under perfect L2/L3 pools to 8/9
        ((3, 2, 3), Level.L3, Level.L3),  # 2/3 at L2 under 3/3 at L3 pools to 5/6
        ((3, 2, 0), Level.L1, Level.L1),  # a lone 2/3 does not hold a level
        ((1, 3, 0), Level.L2, Level.L0),  # pooled 4/6 < 0.75: the L2 pass is not trusted
        ((0, 1, 3), Level.L3, Level.L0),
        ((0, 0, 0), Level.L0, Level.L0),
    ],
)
def test_levels_are_made_monotone(
    make_profile_dict: MakeProfile, counts: tuple[int, int, int], measured: Level, effective: Level
) -> None:
    tcp = tcp_with(make_profile_dict, {"tool.exec": counts})
    assert tcp.measured_level("tool.exec") is measured
    assert tcp.level("tool.exec") is effective
    if measured != effective:
        assert tcp.adjustments["tool.exec"] == (measured, effective)
    passes = [e.passes for e in tcp.evidence("tool.exec")]
    assert passes == list(counts)  # the original counts stay alongside


def test_fitted_rates_never_increase_with_level(make_profile_dict: MakeProfile) -> None:
    tcp = tcp_with(make_profile_dict, {"gen.regex": (1, 3, 2)})
    fitted = [e.fitted for e in tcp.evidence("gen.regex")]
    assert all(a is not None and b is not None and a >= b for a, b in itertools.pairwise(fitted))
    assert MONOTONE_RULE == "isotonic-0.75"
    assert HOLD_THRESHOLD == 0.75


def test_grader_crashes_and_timeouts_are_not_evidence(make_profile_dict: MakeProfile) -> None:
    def failure(pid: str, level: int) -> str:
        if level == 2:
            return (
                'Exit code: 1, stderr:   File "<stdin>", line 11\n    x = (\n'
                "SyntaxError: invalid syntax"
            )
        return "tainted: subprocess killed after 300000ms"

    tcp = tcp_with(make_profile_dict, {"follow.constraint": (3, 0, 3)}, failure=failure)
    # L2's failures were the grader's own syntax error: no evidence, so L3's pass carries L2.
    assert tcp.level("follow.constraint") is Level.L3
    assert [e.no_evidence for e in tcp.evidence("follow.constraint")] == [0, 3, 0]


def test_a_primitive_with_no_evidence_at_all_is_unmeasured(make_profile_dict: MakeProfile) -> None:
    tcp = tcp_with(
        make_profile_dict, {"tool.web": (0, 0, 0)}, failure=lambda p, lvl: "tainted: killed"
    )
    assert tcp.level("tool.web") is None
    assert tcp.measured_level("tool.web") is Level.L0


def test_a_hand_lowered_level_wins(make_profile_dict: MakeProfile) -> None:
    data = make_profile_dict({"tool.web": (3, 3, 3)})
    data["capabilities"]["tool.web"] = "L0"  # "Manually set to L0"
    assert TCP.model_validate(data).level("tool.web") is Level.L0


def test_capabilities_without_details_keep_the_measured_level(
    make_profile_dict: MakeProfile,
) -> None:
    data = make_profile_dict({}, default=None)
    data["capabilities"] = {"gen.code.sql": "L2"}
    tcp = TCP.model_validate(data)
    assert tcp.level("gen.code.sql") is Level.L2
    assert tcp.level("gen.code.html") is None


def test_skipped_instances_do_not_count(make_profile_dict: MakeProfile) -> None:
    data = make_profile_dict({"gen.code.python": (3, 3, 1)})
    l3 = data["details"][0]["levelResults"][2]
    # SkVM's own rule: skipped instances (missing grader library) are not failures.
    l3.update(passed=True, passCount=2, totalCount=3, skipCount=1, failureDetails=[])
    data["capabilities"]["gen.code.python"] = "L3"
    tcp = TCP.model_validate(data)
    assert tcp.level("gen.code.python") is Level.L3  # 2 of 2 effective instances
    assert tcp.evidence("gen.code.python")[2].effective == 2
    l3.update(passCount=1, skipCount=2)  # one clean instance is too thin to hold a level
    assert TCP.model_validate(data).level("gen.code.python") is Level.L2


def test_evidence_can_raise_a_level_lost_to_a_timeout(make_profile_dict: MakeProfile) -> None:
    data = make_profile_dict({"tool.web": (3, 3, 2)})
    web = next(d for d in data["details"] if d["primitiveId"] == "tool.web")
    web["levelResults"][2]["failureDetails"] = ["tainted: killed after 300000ms"]
    tcp = TCP.model_validate(data)
    assert tcp.measured_level("tool.web") is Level.L2
    assert tcp.level("tool.web") is Level.L3


def test_profile_id_is_a_content_hash(make_profile_dict: MakeProfile) -> None:
    a = tcp_with(make_profile_dict, {"tool.exec": (3, 3, 3)})
    b = tcp_with(make_profile_dict, {"tool.exec": (3, 3, 3)})
    c = tcp_with(make_profile_dict, {"tool.exec": (3, 3, 2)})
    assert a.profile_id == b.profile_id != c.profile_id
    assert a.profile_id.startswith("tcp-")


def _write(folder: Path, name: str, data: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(data))


def test_folder_prefers_latest_then_newest_version(
    tmp_path: Path, make_profile_dict: MakeProfile
) -> None:
    folder = tmp_path / "bare-agent" / "acme--m"
    _write(
        folder, "v_20260401T000000Z.json", make_profile_dict({}, profiled_at="2026-04-01T00:00:00Z")
    )
    _write(
        folder, "v_20260410T124408..json", make_profile_dict({}, profiled_at="2026-04-10T12:44:08Z")
    )
    assert read_profile_folder(folder).profiled_at.startswith("2026-04-10")
    _write(folder, "latest.json", make_profile_dict({}, profiled_at="2026-03-01T00:00:00Z"))
    assert read_profile_folder(folder).profiled_at.startswith("2026-03-01")


def test_partial_latest_loses_to_a_complete_version(
    tmp_path: Path, make_profile_dict: MakeProfile
) -> None:
    folder = tmp_path / "h" / "m"
    partial = make_profile_dict({}, profiled_at="2026-05-01T00:00:00Z")
    partial["isPartial"] = True
    _write(folder, "latest.json", partial)
    assert read_profile_folder(folder).is_partial  # alone, a partial profile is still used
    _write(
        folder, "v_20260401T000000Z.json", make_profile_dict({}, profiled_at="2026-04-01T00:00:00Z")
    )
    assert not read_profile_folder(folder).is_partial


def test_tree_reads_one_profile_per_folder(fixtures_dir: Path) -> None:
    tcps = read_profile_tree(fixtures_dir / "profiles")
    assert sorted(t.model for t in tcps) == ["acme/big-400b", "acme/tiny-1b"]


def test_fixture_profile_shows_the_monotone_rule(tiny_tcp: TCP) -> None:
    # reason.planning passed only L3 (0/3, 1/3, 3/3): measured L3, effective L0
    assert tiny_tcp.measured_level("reason.planning") is Level.L3
    assert tiny_tcp.level("reason.planning") is Level.L0


def test_bad_files_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "latest.json"
    bad.write_text('{"model": "x"}')
    with pytest.raises(ProfileLoadError, match=r"latest\.json: not a SkVM profile"):
        read_profile_file(bad)
    with pytest.raises(ProfileLoadError, match="cannot read"):
        read_profile_file(tmp_path / "missing.json")
    with pytest.raises(ProfileLoadError, match=r"no latest\.json"):
        read_profile_folder(tmp_path / "empty-folder-that-does-not-exist")
