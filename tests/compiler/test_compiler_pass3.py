from __future__ import annotations

from collections.abc import Callable

import networkx as nx

from compiler import PASS3_HEADING, HarnessFacts, SkillSource
from compiler.workflow import build_dag, render_hints, render_mermaid

MakeSkill = Callable[..., SkillSource]
PARALLEL = HarnessFacts(harness="bare-agent", parallel_tool_calls=True, subagents=True)
SERIAL = HarnessFacts(harness="generic")

DIGEST = """# Digest

## Workflow

1. Read `config/sources.yaml`
2. Read `config/filters.json`
3. Fetch all the source URLs
4. Combine the headlines into `digest.json`
5. Save a short summary to `digest.md`
"""


def test_steps_dependencies_and_groups(make_skill: MakeSkill) -> None:
    dag = build_dag(make_skill(DIGEST).document, PARALLEL)
    deps = {s.id: s.depends_on for s in dag.steps}
    assert deps == {
        "w1s1": (),
        "w1s2": (),
        "w1s3": ("w1s2",),
        "w1s4": ("w1s1", "w1s3"),
        "w1s5": ("w1s4",),
    }
    assert [(g.kind, g.steps) for g in dag.groups] == [
        ("ilp", ("w1s1", "w1s2")),
        ("ilp", ("w1s3",)),
    ]
    assert dag.has_ilp
    assert nx.is_directed_acyclic_graph(dag.graph())
    assert dag.steps[3].produces == ("digest.json",)


def test_groups_need_harness_support(make_skill: MakeSkill) -> None:
    dag = build_dag(make_skill(DIGEST).document, SERIAL)
    assert dag.groups == ()
    assert not dag.has_ilp
    assert [g.kind for g in dag.unsupported] == ["ilp", "ilp"]
    assert render_hints(dag) == ""


def test_linear_workflows_have_no_parallelism(make_skill: MakeSkill) -> None:
    s = make_skill(
        "# W\n\n1. Parse the request\n2. Compute the dates\n3. Write `event.ics`\n4. Save it\n"
    )
    dag = build_dag(s.document, PARALLEL)
    assert [s.depends_on for s in dag.steps] == [(), ("w1s1",), ("w1s2",), ("w1s3",)]
    assert dag.groups == ()


def test_data_flow_through_files(make_skill: MakeSkill) -> None:
    s = make_skill(
        "# W\n\n1. Write the cleaned rows to `clean.csv`\n2. Read `rules.yaml`\n"
        "3. Read `clean.csv` and apply the rules\n"
    )
    dag = build_dag(s.document, PARALLEL)
    assert dag.steps[2].depends_on == ("w1s1",)  # consumes what step 1 produced


def test_dlp_for_one_operation_over_many_items(make_skill: MakeSkill) -> None:
    s = make_skill(
        "# W\n\n1. List the input folder\n2. Convert each of the CSV files to JSON\n3. "
        "Report the totals\n"
    )
    dag = build_dag(s.document, SERIAL)
    assert [(g.kind, g.steps) for g in dag.groups] == [("dlp", ("w1s2",))]
    assert "xargs -P 4" in render_hints(dag)


def test_tlp_for_independent_sub_tasks(make_skill: MakeSkill) -> None:
    s = make_skill(
        "# W\n\n1. Review `backend/api.py` for bugs\n2. Review `frontend/app.js` for bugs\n"
        "3. Merge both reviews into `review.md`\n"
    )
    with_agents = build_dag(s.document, PARALLEL)
    assert [(g.kind, g.steps) for g in with_agents.groups] == [("tlp", ("w1s1", "w1s2"))]
    assert with_agents.steps[2].depends_on == ("w1s1", "w1s2")
    no_agents = build_dag(s.document, HarnessFacts(parallel_tool_calls=True))
    assert no_agents.groups == ()
    assert [g.kind for g in no_agents.unsupported] == ["tlp"]


def test_hints_and_mermaid(make_skill: MakeSkill) -> None:
    dag = build_dag(make_skill(DIGEST).document, PARALLEL)
    hints = render_hints(dag)
    assert hints.startswith(PASS3_HEADING + "\n")
    assert "step 1 (Read config/sources.yaml); step 2 (Read config/filters.json)" in hints
    assert "issue one fetch call per URL, all in the same turn" in hints
    mermaid = render_mermaid(dag)
    assert mermaid.startswith("graph TD\n")
    assert "  w1s3 --> w1s4\n" in mermaid
    assert 'subgraph g1["ILP group 1"]' in mermaid


def test_json_shape_follows_the_reference(make_skill: MakeSkill) -> None:
    data = build_dag(make_skill(DIGEST).document, PARALLEL).to_json_dict()
    assert data["steps"][3]["dependsOn"] == ["w1s1", "w1s3"]  # type: ignore[index]
    assert data["parallelism"][0]["type"] == "ilp"  # type: ignore[index]
    assert data["parallelism"][0]["fallback"] == "sequential_execution"  # type: ignore[index]
