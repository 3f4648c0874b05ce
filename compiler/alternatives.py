"""Alternative paths: other primitives that reach the same purpose (SkVM's "equivalence classes").

Substitution (pass 1) picks one of these when the target model lacks the primitive the skill uses
but meets every primitive of the alternative. Each entry says which evidence it can replace, so a
path is only offered where its instruction makes sense (a Node data script can become Python, a
React component cannot).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from compiler.levels import Level
from compiler.scr import AlternativePath, Evidence, Need, Requirement

L1, L2, L3 = Level.L1, Level.L2, Level.L3


@dataclass(frozen=True, slots=True)
class AlternativeSpec:
    id: str
    replaces: str
    needs: tuple[tuple[str, Level], ...]
    note: str
    applies: Callable[[Evidence], bool]


def _rules(*prefixes: str) -> Callable[[Evidence], bool]:
    return lambda ev: ev.rule.startswith(prefixes)


def _node_script(ev: Evidence) -> bool:
    return ev.rule == "js.block" and bool(ev.detail.get("node"))


ALTERNATIVES: tuple[AlternativeSpec, ...] = (
    AlternativeSpec(
        "structured-by-script",
        "gen.text.structured",
        (("gen.code.python", L2), ("tool.exec", L1)),
        "build the JSON in a short Python script and write it with json.dump",
        _rules("structured.", "format.jsonld"),
    ),
    AlternativeSpec(
        "shell-to-python",
        "gen.code.shell",
        (("gen.code.python", L2), ("tool.exec", L1)),
        "do the text processing in a short Python script instead of a shell pipeline",
        _rules("shell.pipes", "shell.awk", "shell.sed", "shell.xargs", "shell.jq", "shell.perl"),
    ),
    AlternativeSpec(
        "browser-to-fetch",
        "tool.browser",
        (("tool.web", L1), ("gen.code.python", L2), ("tool.exec", L1)),
        "fetch the page's HTML and parse it instead of driving a browser",
        _rules("browser.navigate", "library.bs4"),
    ),
    AlternativeSpec(
        "arithmetic-by-code",
        "reason.arithmetic",
        (("gen.code.python", L1), ("tool.exec", L1), ("follow.delegation", L1)),
        "compute the numbers in a one-line script instead of by hand",
        _rules("arith."),
    ),
    AlternativeSpec(
        "delegation-by-hand",
        "follow.delegation",
        (("reason.arithmetic", L3),),
        "compute by hand, writing down every intermediate value",
        _rules("delegate."),
    ),
    AlternativeSpec(
        "spatial-by-code",
        "reason.spatial",
        (("gen.code.python", L1), ("tool.exec", L1)),
        "compute it with the explicit formula in a short script",
        _rules("spatial."),
    ),
    AlternativeSpec(
        "planning-by-procedure",
        "reason.planning",
        (("follow.procedure", L2),),
        "follow a fixed order of steps instead of planning one",
        _rules("plan."),
    ),
    AlternativeSpec(
        "regex-by-string-ops",
        "gen.regex",
        (("gen.code.python", L2),),
        "use plain string checks instead of a complex regular expression",
        _rules("regex."),
    ),
    AlternativeSpec(
        "node-to-python",
        "gen.code.javascript",
        (("gen.code.python", L2), ("tool.exec", L1)),
        "write the script in Python instead of Node.js",
        _node_script,
    ),
    AlternativeSpec(
        "long-by-appends",
        "gen.text.long",
        (("tool.file.write", L2), ("follow.procedure", L2)),
        "build the document in the file section by section instead of in one long output",
        _rules("template.document", "size.words", "long.report"),
    ),
    AlternativeSpec(
        "web-by-curl",
        "tool.web",
        (("tool.exec", L1), ("gen.code.shell", L1)),
        "fetch the exact URL with curl from the shell",
        _rules("web.query", "web.fetch"),  # prose only: a shell block already has its command
    ),
)


def alternatives_for(requirements: Iterable[Requirement]) -> list[AlternativePath]:
    out: list[AlternativePath] = []
    for req in requirements:
        for spec in ALTERNATIVES:
            if spec.replaces != req.primitive:
                continue
            anchor = next((ev for ev in req.evidence if spec.applies(ev)), None)
            if anchor is None:
                continue
            out.append(
                AlternativePath(
                    id=spec.id,
                    replaces=spec.replaces,
                    needs=tuple(Need(primitive=p, min_level=lvl) for p, lvl in spec.needs),
                    note=spec.note,
                    evidence=anchor,
                )
            )
    return out
