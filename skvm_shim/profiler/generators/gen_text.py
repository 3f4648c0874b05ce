"""Text generation: structured JSON, long documents, prose, regular expressions.

Text answers are the model's final reply. Every rule a check applies is stated in the prompt
(exact fields, counts, markers, byte limits), so a check can only disagree with a reply that
broke one of them.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys

from skvm_shim.profiler.checks import (
    all_ok,
    has_word,
    headed_sections,
    json_equal,
    paragraphs,
    sentences,
    text_of,
)
from skvm_shim.profiler.generators._data import NAMES, NOUNS, TOPICS, filler, money, pick
from skvm_shim.profiler.probe import Attempt, Check, Generator, Probe, files, say, write

_REGEX_TIMEOUT_S = 10.0

# -- gen.text.structured ----------------------------------------------------------------------


def _fields(rng: random.Random) -> dict[str, object]:
    pool: dict[str, object] = {
        "name": rng.choice(NOUNS),
        "count": rng.randint(2, 999),
        "active": rng.choice((True, False)),
        "price": money(rng, 1, 500),
        "owner": rng.choice(NAMES),
        "code": f"{rng.choice('ABCDEFGH')}-{rng.randint(100, 999)}",
    }
    keys = rng.sample(sorted(pool), 4)
    return {k: pool[k] for k in keys}


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"the boolean {json.dumps(value)}"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the number {value}"
    return f"the string {json.dumps(value)}"


def structured_l1(rng: random.Random) -> Probe:
    """Reply with a flat JSON object under 500 bytes with given field names, types and exact
    values."""
    obj = _fields(rng)
    spec = "; ".join(f'"{k}": {_describe(v)}' for k, v in obj.items())
    prompt = (
        "Reply with only a JSON object (no other text), under 500 bytes, with exactly these"
        f" fields: {spec}."
    )

    def grade(a: Attempt) -> list[Check]:
        return [json_equal("object", a.answer, obj), _size("size", a.answer, below=500)]

    wrong = {k: (str(v) if not isinstance(v, str) else v + "x") for k, v in obj.items()}
    return Probe(prompt, grade, good=say(json.dumps(obj)), bad=say(json.dumps(wrong)))


def _size(name: str, text: str, *, below: int | None = None, above: int | None = None) -> Check:
    n = len(text.strip().encode())
    ok = (below is None or n < below) and (above is None or n > above)
    return Check(name, ok, "" if ok else f"{n} bytes")


def structured_l2(rng: random.Random) -> Probe:
    """Reply with a nested JSON object under 5 KB (objects, arrays, booleans) matching a stated
    shape and values."""
    items = [{"sku": f"{n[:3].upper()}-{rng.randint(10, 99)}", "qty": rng.randint(1, 9)}
             for n in pick(rng, NOUNS, rng.randint(2, 4))]  # fmt: skip
    obj = {
        "order_id": rng.randint(1000, 9999),
        "customer": {"name": rng.choice(NAMES), "vip": rng.choice((True, False))},
        "items": items,
        "shipped": False,
    }
    item_spec = ", ".join(f'{{"sku": "{i["sku"]}", "qty": {i["qty"]}}}' for i in items)
    prompt = (
        "Reply with only a JSON object (no other text), under 5 KB: "
        f'"order_id" is the integer {obj["order_id"]}; "customer" is an object with "name" the'
        f' string "{obj["customer"]["name"]}" and "vip" the boolean'  # type: ignore[index]
        f' {json.dumps(obj["customer"]["vip"])}; "items" is an array of objects, in this'  # type: ignore[index]
        f' order: {item_spec}; "shipped" is the boolean false.'
    )

    def grade(a: Attempt) -> list[Check]:
        return [json_equal("object", a.answer, obj), _size("size", a.answer, below=5000)]

    flat = {**obj, "items": [{"sku": i["sku"], "qty": str(i["qty"])} for i in items]}
    return Probe(prompt, grade, good=say(json.dumps(obj, indent=2)), bad=say(json.dumps(flat)))


_ROLES = ("engineer", "analyst", "designer", "manager", "tester")


def _org(name: str, depts: list[str], teams: int, members: int) -> dict[str, object]:
    return {
        "org": name,
        "departments": [
            {
                "name": d,
                "teams": [
                    {
                        "name": f"{d}-team-{t}",
                        "members": [
                            {
                                "id": f"{d}-{t}-{k}",
                                "role": _ROLES[(k - 1) % len(_ROLES)],
                                "email": f"{d}-{t}-{k}@example.org",
                                "active": k % 2 == 1,
                            }
                            for k in range(1, members + 1)
                        ],
                    }
                    for t in range(1, teams + 1)
                ],
            }
            for d in depts
        ],
    }


def structured_l3(rng: random.Random) -> Probe:
    """Reply with a deeply nested JSON organisation over 5 KB whose every member follows a
    stated rule."""
    name = rng.choice(NOUNS).title() + " Corp"
    depts = pick(rng, ("sales", "research", "support", "finance", "legal"), 3)
    teams = rng.randint(2, 3)
    members = 5
    while len(json.dumps(_org(name, depts, teams, members), separators=(",", ":"))) <= 5200:
        members += 1
    obj = _org(name, depts, teams, members)
    prompt = (
        "Reply with only a JSON object (no other text), over 5000 bytes, describing an"
        f' organisation: {{"org": "{name}", "departments": [...]}} with the departments'
        f" {', '.join(depts)} in this order. Each department is"
        ' {"name": D, "teams": [...]} with teams T = 1..'
        f'{teams}, each {{"name": "D-team-T", "members": [...]}} with members K = 1..{members},'
        ' each {"id": "D-T-K", "role": R, "email": "D-T-K@example.org", "active": A} where R'
        f" cycles through {', '.join(_ROLES)} (K = 1 is {_ROLES[0]}) and A is true for odd K,"
        " false for even K."
    )

    def grade(a: Attempt) -> list[Check]:
        return [json_equal("organisation", a.answer, obj), _size("size", a.answer, above=5000)]

    short = _org(name, depts, teams, members - 1)
    return Probe(prompt, grade, good=say(json.dumps(obj)), bad=say(json.dumps(short)))


# -- gen.text.long ----------------------------------------------------------------------------


def long_l1(rng: random.Random) -> Probe:
    """Write a numbered list of exactly N items between start and end markers, under 1 KB."""
    topic, n, tag = rng.choice(TOPICS), rng.randint(5, 9), rng.randint(100, 999)
    prompt = (
        f"Reply with a numbered list of exactly {n} key concepts of {topic}, one per line as"
        f' "1. ...", "2. ...". Put the line BEGIN-{tag} before the list and the line END-{tag}'
        " after it. Keep the whole reply under 1000 bytes."
    )

    def grade(a: Attempt) -> list[Check]:
        lines = [ln.strip() for ln in a.answer.strip().splitlines() if ln.strip()]
        try:
            body = lines[lines.index(f"BEGIN-{tag}") + 1 : lines.index(f"END-{tag}")]
        except ValueError:
            return [Check("markers", False, f"BEGIN-{tag} / END-{tag} lines not found in order")]
        numbered = [re.match(r"(\d+)\.\s+\S", ln) for ln in body]
        got = [int(m.group(1)) for m in numbered if m]
        ok = got == list(range(1, n + 1)) and len(body) == n
        return [
            Check(
                "numbered items", ok, "" if ok else f"expected items 1..{n}, got {got or body[:3]}"
            ),
            _size("size", a.answer, below=1000),
        ]

    def listing(k: int) -> str:
        items = [f"{i}. The {w} in {topic}" for i, w in enumerate(pick(rng, NOUNS, k), start=1)]
        return "\n".join([f"BEGIN-{tag}", *items, f"END-{tag}"])

    return Probe(prompt, grade, good=say(listing(n)), bad=say(listing(n - 1)))


def _sections_ok(text: str, titles: list[str], marker: str = "## ") -> list[Check]:
    found = headed_sections(text, marker)
    got = [t for t, _ in found]
    checks = [Check("section headings", got == titles, "" if got == titles else f"got {got}")]
    if got == titles:
        thin = [t for t, body in found if len(paragraphs(body)) < 2]
        checks.append(all_ok("two paragraphs per section", [f"{t!r} has fewer" for t in thin]))
    return checks


def long_l2(rng: random.Random) -> Probe:
    """Write a technical document with given ## sections of at least two paragraphs each,
    between 1 and 5 KB."""
    topic = rng.choice(TOPICS)
    titles = [w.title() for w in pick(rng, NOUNS, rng.randint(3, 4))]
    prompt = (
        f"Reply with a technical document about {topic} with exactly these sections, in order,"
        f" each a line starting with '## ': {', '.join(titles)}. Each section has at least two"
        " paragraphs separated by a blank line. The whole reply is between 1000 and 5000 bytes."
    )

    def grade(a: Attempt) -> list[Check]:
        return [*_sections_ok(a.answer, titles), _size("size", a.answer, above=1000, below=5000)]

    def doc(paras: int) -> str:
        parts = []
        for t in titles:
            body = "\n\n".join(filler(rng, topic, 3) for _ in range(paras))
            parts.append(f"## {t}\n\n{body}")
        return "\n\n".join(parts)

    return Probe(prompt, grade, good=say(doc(2)), bad=say(doc(1) + "\n\n" + filler(rng, topic, 6)))


def long_l3(rng: random.Random) -> Probe:
    """Write a reference document over 5 KB: title, table of contents, sections with ###
    subsections, a summary, an end marker."""
    topic = rng.choice(TOPICS)
    titles = [w.title() for w in pick(rng, NOUNS, 3)]
    prompt = (
        f"Reply with a reference document about {topic}, over 5000 bytes: a first line"
        f" '# {topic.title()} Reference'; a '## Table of Contents' section listing the section"
        f" titles {', '.join(titles)} as '- ' list items; then those sections in that order as"
        " '## ' headings, each with at least two '### ' subsections of at least one paragraph;"
        " then a '## Summary' section; and the last line exactly 'END OF DOCUMENT'."
    )

    def grade(a: Attempt) -> list[Check]:
        text = a.answer.strip()
        lines = text.splitlines()
        sections = headed_sections(text, "## ")
        got = [t for t, _ in sections]
        want = ["Table of Contents", *titles, "Summary"]
        toc = dict(sections).get("Table of Contents", "")
        listed = [ln[2:].strip() for ln in toc.splitlines() if ln.startswith("- ")]
        thin = [t for t, body in sections if t in titles and len(headed_sections(body, "### ")) < 2]
        return [
            Check("title line", bool(lines) and lines[0].strip() == f"# {topic.title()} Reference"),
            Check("sections", got == want, "" if got == want else f"got {got}"),
            Check("table of contents", listed == titles, f"got {listed}"),
            all_ok("subsections", [f"{t!r} has fewer than two" for t in thin]),
            Check("end marker", bool(lines) and lines[-1].strip() == "END OF DOCUMENT"),
            _size("size", text, above=5000),
        ]

    def doc(sentences_per: int) -> str:
        parts = [
            f"# {topic.title()} Reference",
            "## Table of Contents",
            *[f"- {t}" for t in titles],
        ]
        for t in titles:
            parts.append(f"## {t}")
            for s in ("Overview", "Details"):
                parts += [f"### {s}", filler(rng, topic, sentences_per)]
        parts += ["## Summary", filler(rng, topic, 2), "END OF DOCUMENT"]
        return "\n\n".join(parts)

    good = doc(9)
    while len(good.encode()) <= 5200:
        good = doc(12)
    return Probe(prompt, grade, good=say(good), bad=say(doc(2)))


# -- gen.text.prose ---------------------------------------------------------------------------


def prose_l1(rng: random.Random) -> Probe:
    """Write a single paragraph of at least N sentences that uses three required keywords."""
    topic, n = rng.choice(TOPICS), rng.randint(4, 6)
    keywords = pick(rng, NOUNS, 3)
    prompt = (
        f"Reply with a single paragraph (no blank lines) of at least {n} sentences about {topic}"
        f" that uses each of these words: {', '.join(keywords)}."
    )

    def grade(a: Attempt) -> list[Check]:
        return [
            Check(
                "single paragraph",
                len(paragraphs(a.answer)) == 1,
                f"{len(paragraphs(a.answer))} paragraphs",
            ),
            Check(
                "sentences", len(sentences(a.answer)) >= n, f"{len(sentences(a.answer))} sentences"
            ),
            all_ok("keywords", [f"missing {k!r}" for k in keywords if not has_word(a.answer, k)]),
        ]

    used = " ".join(f"A {k} is part of the picture." for k in keywords)
    return Probe(
        prompt,
        grade,
        good=say(f"{filler(rng, topic, n - 3)} {used}"),
        bad=say(f"{filler(rng, topic, n - 2)} A {keywords[0]} matters. A {keywords[1]} matters."),
    )


def prose_l2(rng: random.Random) -> Probe:
    """Write a structured essay: a # title, N ## sections, each of two or more paragraphs of
    two or more sentences."""
    topic, n = rng.choice(TOPICS), rng.randint(3, 4)
    prompt = (
        f"Reply with an essay about {topic}: a title line starting with '# ', then exactly {n}"
        " sections, each a heading line starting with '## ' followed by at least two paragraphs"
        " (separated by blank lines) of at least two sentences each."
    )

    def grade(a: Attempt) -> list[Check]:
        lines = a.answer.strip().splitlines()
        found = headed_sections(a.answer)
        short = [
            f"{t!r}: {p[:30]!r}"
            for t, body in found
            for p in paragraphs(body)
            if len(sentences(p)) < 2
        ]
        thin = [t for t, body in found if len(paragraphs(body)) < 2]
        return [
            Check("title", bool(lines) and lines[0].startswith("# "), "first line is not '# ...'"),
            Check("section count", len(found) == n, f"{len(found)} sections"),
            all_ok("paragraphs per section", [f"{t!r} has fewer than two" for t in thin]),
            all_ok("sentences per paragraph", short),
        ]

    def essay(last_paragraph: str) -> str:
        parts = [f"# On {topic.title()}"]
        for w in pick(rng, NOUNS, n):
            parts += [f"## {w.title()}", filler(rng, topic, 2), filler(rng, topic, 3)]
        parts.append(last_paragraph)
        return "\n\n".join(parts)

    return Probe(
        prompt, grade, good=say(essay(filler(rng, topic, 2))), bad=say(essay("That is all."))
    )


_CONTRACTION = re.compile(r"\b\w+'(?:s|t|re|ve|ll|d|m)\b", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(?:I|me|my|mine|myself)\b")


def prose_l3(rng: random.Random) -> Probe:
    """Write a persuasive essay in a formal register: Introduction, two body sections,
    Conclusion; no contractions, no first person singular."""
    topic = rng.choice(TOPICS)
    prompt = (
        f"Reply with a persuasive essay arguing that {topic} deserves more public funding, in a"
        " formal register. Structure: a '## Introduction' section, at least two body sections"
        " (each a '## ' heading), and a '## Conclusion' section last; every section has at"
        " least three sentences. The conclusion contains the phrase 'In conclusion'. Use no"
        " contractions (such as it's, don't) and no first person singular (I, me, my)."
    )

    def grade(a: Attempt) -> list[Check]:
        found = headed_sections(a.answer)
        titles = [t for t, _ in found]
        structure = len(found) >= 4 and titles[0] == "Introduction" and titles[-1] == "Conclusion"
        thin = [t for t, body in found if len(sentences(body)) < 3]
        conclusion = found[-1][1] if found else ""
        contractions = _CONTRACTION.findall(a.answer)
        first = _FIRST_PERSON.findall(a.answer)
        return [
            Check("structure", structure, f"sections {titles}"),
            all_ok("three sentences per section", [f"{t!r} is shorter" for t in thin]),
            Check("conclusion phrase", "In conclusion" in conclusion),
            Check("no contractions", not contractions, f"found {contractions[:3]}"),
            Check("no first person singular", not first, f"found {first[:3]}"),
        ]

    def essay(extra: str) -> str:
        parts = ["## Introduction", filler(rng, topic, 3)]
        for w in pick(rng, NOUNS, 2):
            parts += [f"## {w.title()}", filler(rng, topic, 3)]
        parts += [
            "## Conclusion",
            f"In conclusion, {topic} deserves support. {filler(rng, topic, 2)}{extra}",
        ]
        return "\n\n".join(parts)

    return Probe(prompt, grade, good=say(essay("")), bad=say(essay(" It's worth it.")))


# -- gen.regex --------------------------------------------------------------------------------

_REGEX_RUNNER = """
import json, re, sys
spec = json.load(sys.stdin)
try:
    rx = re.compile(spec["pattern"])
except re.error as exc:
    print(json.dumps({"error": str(exc)}))
    raise SystemExit
test = rx.search if spec["mode"] == "search" else rx.fullmatch
print(json.dumps({"results": [test(s) is not None for s in spec["cases"]]}))
"""


def _regex_check(a: Attempt, mode: str, positives: list[str], negatives: list[str]) -> list[Check]:
    """regex.txt's first line, compiled by Python's re and applied with ``mode`` in a
    subprocess (a catastrophic pattern times out instead of hanging the profiler)."""
    text = text_of(a, "regex.txt")
    lines = [ln for ln in (text or "").splitlines() if ln.strip()]
    if not lines:
        return [Check("regex.txt", False, "missing or empty")]
    spec = json.dumps({"pattern": lines[0].strip(), "mode": mode, "cases": positives + negatives})
    try:
        done = subprocess.run(
            [sys.executable, "-c", _REGEX_RUNNER],
            input=spec,
            capture_output=True,
            text=True,
            timeout=_REGEX_TIMEOUT_S,
            check=False,
        )
        report = json.loads(done.stdout)
    except subprocess.TimeoutExpired:
        return [Check("regex runs", False, f"no answer within {_REGEX_TIMEOUT_S:.0f}s")]
    except json.JSONDecodeError:
        return [Check("regex runs", False, done.stderr.strip()[-120:])]
    if "error" in report:
        return [Check("regex compiles", False, report["error"])]
    results = report["results"]
    missed = [s for s, r in zip(positives, results, strict=False) if not r]
    wrong = [s for s, r in zip(negatives, results[len(positives) :], strict=False) if r]
    return [
        all_ok("matches every valid string", [f"no match: {s!r}" for s in missed]),
        all_ok("rejects every invalid string", [f"matched: {s!r}" for s in wrong]),
    ]


def regex_l1(rng: random.Random) -> Probe:
    """Write a regex that finds strings containing a given word (re.search)."""
    word = rng.choice(NOUNS)
    near = word[:-1] + ("x" if word[-1] != "x" else "y")
    positives = [f"the {word} is here", f"{word}", f"my{word}s", f"a {word}!"]
    negatives = [f"the {near} is here", f"{word[:3]} {word[3:]}", "nothing at all", word[:-1]]
    prompt = (
        "Write regex.txt: one line holding a Python regular expression (no delimiters, no quotes)"
        f" that, used with re.search, matches every string containing the lowercase text {word!r}"
        " and no string without it."
    )
    return Probe(
        prompt,
        lambda a: _regex_check(a, "search", positives, negatives),
        good=files(write("regex.txt", re.escape(word))),
        bad=files(write("regex.txt", "^" + re.escape(word))),
    )


Pattern = tuple[str, list[str], list[str], str, str]
"""(what to accept, valid strings, invalid strings, a right regex, a near-miss regex)."""


def _dates(rng: random.Random) -> Pattern:
    sep = rng.choice("-/.")
    y = rng.randint(1900, 2099)
    good = [f"{y}{sep}{m:02d}{sep}{d:02d}" for m, d in ((1, 1), (12, 31), (rng.randint(2, 11), 19))]
    other = "-" if sep != "-" else "/"
    bad = [
        f"{y}{sep}13{sep}01", f"{y}{sep}00{sep}10", f"{y}{sep}05{sep}32", f"{y}{sep}5{sep}05",
        f"{y}{other}05{other}05", f"1{y}{sep}01{sep}01", f"{y}{sep}05{sep}00",
    ]  # fmt: skip
    spec = (
        f"a date written YYYY{sep}MM{sep}DD: four digits, {sep!r}, a month 01 to 12, {sep!r}, a day"
        " 01 to 31 (do not check the days per month)"
    )
    s = re.escape(sep)
    return (
        spec,
        good,
        bad,
        rf"\d{{4}}{s}(0[1-9]|1[0-2]){s}(0[1-9]|[12]\d|3[01])",
        rf"\d{{4}}{s}\d\d{s}\d\d",
    )


def _pairs(rng: random.Random) -> Pattern:
    key, sep = rng.choice(NOUNS), rng.choice("=:")
    good = [
        f"{key}{sep}1",
        f"{key}_id{sep}42",
        f"a{sep}0{rng.randint(1, 9)}",
        f"max_{key}{sep}{rng.randint(10, 9999)}",
    ]
    bad = [
        f"{key.title()}{sep}1", f"1{key}{sep}2", f"{key}{sep}", f"{key}{sep}12a", f"{key} {sep} 1",
        f"_{key}{sep}1", f"{key}{sep}-3",
    ]  # fmt: skip
    spec = (
        f"a key{sep}value pair where the key starts with a lowercase letter followed by lowercase"
        " letters or underscores, and the value is one or more digits"
    )
    return spec, good, bad, rf"[a-z][a-z_]*{sep}\d+", rf"\w+{sep}\w+"


def _versions(rng: random.Random) -> Pattern:
    major, minor = rng.randint(1, 20), rng.randint(0, 30)
    good = [f"{major}.{minor}.0", "0.0.1", f"{major}.{minor}.{rng.randint(10, 99)}"]
    bad = [f"0{major}.{minor}.0", f"{major}.{minor}", f"{major}.{minor}.0.1", f"v{major}.{minor}.0",
           f"{major}.0{minor + 1}.0", f"{major}..0"]  # fmt: skip
    spec = (
        "a version MAJOR.MINOR.PATCH: three numbers separated by dots, each either 0 or a number"
        " without leading zeros"
    )
    part = r"(0|[1-9]\d*)"
    return spec, good, bad, rf"{part}\.{part}\.{part}", r"\d+\.\d+\.\d+"


def regex_l2(rng: random.Random) -> Probe:
    """Write a regex that validates a structured pattern (dates, key=value pairs or versions)
    with re.fullmatch."""
    spec, positives, negatives, good, bad = rng.choice((_dates, _pairs, _versions))(rng)
    prompt = (
        "Write regex.txt: one line holding a Python regular expression (no delimiters, no quotes)"
        f" that, used with re.fullmatch, accepts exactly {spec}."
    )
    return Probe(
        prompt,
        lambda a: _regex_check(a, "fullmatch", positives, negatives),
        good=files(write("regex.txt", good)),
        bad=files(write("regex.txt", bad)),
    )


def regex_l3(rng: random.Random) -> Probe:
    """Write a password-policy regex with lookahead assertions (re.fullmatch)."""
    n = rng.randint(8, 12)
    specials = "!@#$%"

    def password(
        length: int,
        *,
        digit: bool = True,
        upper: bool = True,
        lower: bool = True,
        special: bool = True,
        space: bool = False,
    ) -> str:
        parts = [
            "7" if digit else "",
            "Q" if upper else "",
            "k" if lower else "",
            rng.choice(specials) if special else "",
        ]
        filler_chars = ("x" if lower else "X") if (lower or upper) else "5"
        body = "".join(parts) + filler_chars * max(0, length - sum(map(len, parts)))
        chars = list(body)
        rng.shuffle(chars)
        return ("".join(chars[:2]) + " " + "".join(chars[2:])) if space else "".join(chars)

    positives = [password(n), password(n + 3), password(n + 8)]
    negatives = [
        password(n - 1), password(n, digit=False), password(n, upper=False),
        password(n, lower=False), password(n, special=False), password(n + 1, space=True),
    ]  # fmt: skip
    prompt = (
        "Write regex.txt: one line holding a Python regular expression (no delimiters, no quotes)"
        " that uses lookahead assertions and, used with re.fullmatch, accepts exactly the"
        f" passwords that are at least {n} characters long, contain a digit, an uppercase letter,"
        f" a lowercase letter and one of the characters {specials}, and contain no whitespace."
    )
    good = rf"(?=.*\d)(?=.*[A-Z])(?=.*[a-z])(?=.*[!@#$%])\S{{{n},}}"

    def grade(a: Attempt) -> list[Check]:
        text = text_of(a, "regex.txt") or ""
        uses = Check("uses lookahead", "(?=" in text or "(?!" in text, "no (?= or (?! in the regex")
        return [uses, *_regex_check(a, "fullmatch", positives, negatives)]

    return Probe(
        prompt,
        grade,
        good=files(write("regex.txt", good)),
        bad=files(write("regex.txt", good.replace("(?=.*[A-Z])", ""))),
    )


GENERATORS = (
    Generator.of("gen.text.structured", 1, structured_l1),
    Generator.of("gen.text.structured", 2, structured_l2),
    Generator.of("gen.text.structured", 3, structured_l3),
    Generator.of("gen.text.long", 1, long_l1),
    Generator.of("gen.text.long", 2, long_l2),
    Generator.of("gen.text.long", 3, long_l3),
    Generator.of("gen.text.prose", 1, prose_l1),
    Generator.of("gen.text.prose", 2, prose_l2),
    Generator.of("gen.text.prose", 3, prose_l3),
    Generator.of("gen.regex", 1, regex_l1),
    Generator.of("gen.regex", 2, regex_l2),
    Generator.of("gen.regex", 3, regex_l3),
)
