"""Demo: a real agent loop patched by skvm-shim, against the scripted upstream, explained.

Runs ``examples/agent_loop.py`` (a minimal harness on the openai SDK) with ``skvm_shim.patch()``.
The model is the project's scripted upstream on 127.0.0.1 playing a model that loads the
``csv-stats`` skill with ``read_file``, runs the skill's bundled script, and answers. A variant of
the skill is stored for the model first, so you can watch the shim swap it in. No API key, no
network beyond loopback.

    python examples/patch_demo.py
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

MODEL = "demo-model"


def main() -> int:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    import skvm_shim
    from skvm_shim.skills.model import Skill
    from skvm_shim.testing.script import ToolCall, Turn
    from skvm_shim.testing.upstream import ScriptedUpstream
    from skvm_shim.variants import publish_variant

    skills_dir = HERE / "skills"
    skill_md = skills_dir / "csv-stats" / "SKILL.md"
    skill = Skill.parse(skill_md.read_text(encoding="utf-8"))
    work = Path(tempfile.mkdtemp(prefix="skvm-demo-"))
    (work / "data.csv").write_text("city,temp,rain\nOslo,4.5,120\nLima,19.0,3\nPune,27.5,40\n")
    shutil.copytree(skills_dir / "csv-stats" / "scripts", work / "scripts")
    os.environ["SKVM_HOME"] = str(work / ".skvm")

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    shim = skvm_shim.patch(skills=[skills_dir], tracer_provider=provider)
    assert shim.store is not None

    # A variant for this model, written by hand for the demo in the style of a pass-1 edit: one
    # explicit default command. `skvm-shim compile` produces variants from a capability profile.
    variant = (
        skill.text.replace(
            "1. Inspect the file header",
            "1. Run `python3 scripts/profile_csv.py data.csv --out stats.json` first; it does "
            "steps 2-4.\n2. Inspect the file header",
        )
        .replace("2. Load the data", "3. Load the data")
        .replace("3. For every", "4. For every")
    )
    publish_variant(
        shim.store,
        skill=skill,
        text=variant,
        model=MODEL,
        harness="generic",
        reason="demo: hand-written variant",
    )

    import openai
    from agent_loop import run_agent

    with ScriptedUpstream() as upstream:
        upstream.script(
            Turn(tool_calls=(ToolCall(name="read_file", arguments={"path": str(skill_md)}),)),
            Turn(
                tool_calls=(
                    ToolCall(
                        name="run_command",
                        arguments={
                            "command": "python3 scripts/profile_csv.py data.csv --out stats.json"
                        },
                    ),
                )
            ),
            Turn(text="stats.json written: 3 rows; mean temp 17.0, mean rain 54.3."),
        )
        client = openai.OpenAI(base_url=upstream.openai_base_url, api_key="demo-key")
        print(f"agent loop in {work}, model {MODEL!r} served by {upstream.base_url}\n")
        answer = run_agent(
            client, model=MODEL, task="Profile data.csv", skills_dir=skills_dir, workdir=work
        )
        requests = upstream.requests

    print(f"\nagent answered: {answer}\n")
    print("what the shim did, per LLM call:")
    spans = exporter.get_finished_spans()
    for i, span in enumerate(s for s in spans if s.name.startswith("chat ")):
        a = dict(span.attributes or {})
        print(
            f"  call {i + 1}: harness={a.get('skvm.harness')} "
            f"listed={list(a.get('skvm.skills.listed', ()))} "
            f"loaded={list(a.get('skvm.skills.detected', ()))} "
            f"rewritten={a.get('skvm.rewritten')} variant={list(a.get('skvm.variant.ids', ()))} "
            f"tokens={a.get('gen_ai.usage.input_tokens')}/{a.get('gen_ai.usage.output_tokens')}"
        )
    for span in spans:
        if span.name.startswith("execute_tool"):
            a = dict(span.attributes or {})
            print(f"  tool span: {span.name} -> {a.get('skvm.tool.outcome')}")
    skill_result = next(
        (m["content"] for m in requests[1].body["messages"] if m.get("role") == "tool"), ""
    )
    print("\nthe model received the stored variant in place of SKILL.md (hand-written here;")
    print("`skvm-shim compile` produces them from a capability profile):")
    for line in skill_result.splitlines()[6:12]:
        print("  |", line)
    stats = json.loads((work / "stats.json").read_text())
    print(f"\nstats.json (written by the harness's own tool): {json.dumps(stats)}")
    skvm_shim.unpatch()
    return 0


if __name__ == "__main__":
    sys.exit(main())
