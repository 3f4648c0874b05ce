"""Instruction following: formats, constraints, procedures, delegation to code, style.

Every instruction is mechanical enough to check (a schema, a word, a count, a forbidden list,
an exact line sequence), and the prompt states it, so the check enforces exactly what was asked.
"""

from __future__ import annotations

import json
import random
import re
from decimal import Decimal
from typing import Any

from skvm_shim.profiler.checks import (
    all_ok,
    count_word,
    has_word,
    headed_sections,
    interpreter,
    run_program,
    sentences,
    source_has,
    text_of,
    words,
)
from skvm_shim.profiler.generators._data import NAMES, NOUNS, TOPICS, filler, money, pick
from skvm_shim.profiler.probe import Attempt, Check, Generator, Probe, files, run, say, write

_FENCED = re.compile(r"^```(?:json)?\s*\n(.*)\n```$", re.DOTALL)


def _reply_json(text: str, hook: Any = None) -> Any:
    """The reply parsed as JSON, all of it (one code fence allowed). Raises ValueError."""
    body = text.strip()
    fenced = _FENCED.match(body)
    try:
        return json.loads(fenced.group(1) if fenced else body, object_pairs_hook=hook)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the reply is not only JSON ({exc.msg})") from None


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.strip().splitlines() if ln.strip()]


def _exact_lines(name: str, text: str, want: list[str]) -> Check:
    got = _lines(text)
    if got == want:
        return Check(name, True)
    for i, (w, g) in enumerate(zip(want, got, strict=False), start=1):
        if w != g:
            return Check(name, False, f"line {i}: expected {w!r}, got {g!r}")
    return Check(name, False, f"expected {len(want)} lines, got {len(got)}")


# -- follow.format ----------------------------------------------------------------------------


def format_l1(rng: random.Random) -> Probe:
    """Reply with only a JSON array of exactly N strings."""
    n = rng.randint(3, 7)
    category = rng.choice(("fruits", "musical instruments", "rivers", "board games", "colours"))
    prompt = (
        f"Reply with only a JSON array (no other text) of exactly {n} strings, each naming one"
        f" of the {category}."
    )

    def grade(a: Attempt) -> list[Check]:
        try:
            value = _reply_json(a.answer)
        except ValueError as exc:
            return [Check("JSON reply", False, str(exc))]
        ok = isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)
        count = len(value) if isinstance(value, list) else None
        return [
            Check("array of strings", ok, "" if ok else f"got {type(value).__name__}"),
            Check("item count", count == n, f"expected {n}, got {count}"),
        ]

    items = [f"{w} {i}" for i, w in enumerate(pick(rng, NOUNS, n))]
    return Probe(prompt, grade, good=say(json.dumps(items)), bad=say(json.dumps(items[:-1])))


def format_l2(rng: random.Random) -> Probe:
    """Reply with a JSON object conforming to a schema: types, nesting, array sizes, ranges."""
    post_id = rng.randint(100, 999)
    prompt = (
        "Reply with only a JSON object (no other text) conforming to this schema:\n"
        f"- id: the integer {post_id}\n"
        "- title: a non-empty string\n"
        "- tags: an array of 2 to 4 strings\n"
        "- author: an object with name (a non-empty string) and verified (a boolean)\n"
        "- rating: a number from 1 to 5\n"
        "No other fields."
    )

    def grade(a: Attempt) -> list[Check]:
        try:
            v = _reply_json(a.answer)
        except ValueError as exc:
            return [Check("JSON reply", False, str(exc))]
        if not isinstance(v, dict):
            return [Check("object", False, f"got {type(v).__name__}")]
        return [all_ok("schema", _schema_problems(v, post_id))]

    good = {
        "id": post_id,
        "title": f"On {rng.choice(NOUNS)}s",
        "tags": pick(rng, NOUNS, 2),
        "author": {"name": rng.choice(NAMES), "verified": True},
        "rating": 4.5,
    }
    return Probe(
        prompt, grade, good=say(json.dumps(good)), bad=say(json.dumps({**good, "rating": "4.5"}))
    )


def _schema_problems(v: dict[str, Any], post_id: int) -> list[str]:
    problems = []
    if set(v) != {"id", "title", "tags", "author", "rating"}:
        problems.append("fields are not exactly id, title, tags, author, rating")
    if not (type(v.get("id")) is int and v["id"] == post_id):
        problems.append(f"id is not the integer {post_id}")
    title = v.get("title")
    if not (isinstance(title, str) and title.strip()):
        problems.append("title is not a non-empty string")
    tags = v.get("tags")
    if not (
        isinstance(tags, list) and 2 <= len(tags) <= 4 and all(isinstance(t, str) for t in tags)
    ):
        problems.append("tags is not 2 to 4 strings")
    author = v.get("author")
    if not (
        isinstance(author, dict)
        and set(author) == {"name", "verified"}
        and isinstance(author["name"], str)
        and author["name"].strip()
        and isinstance(author["verified"], bool)
    ):
        problems.append("author is not {name: non-empty string, verified: boolean}")
    rating = v.get("rating")
    if isinstance(rating, bool) or not isinstance(rating, int | float) or not 1 <= rating <= 5:
        problems.append("rating is not a number from 1 to 5")
    return problems


def format_l3(rng: random.Random) -> Probe:
    """Reply with a JSON object meeting several format constraints at once: a byte limit,
    alphabetically ordered keys, lowercase strings, required field types."""
    limit = rng.randint(160, 240)
    fields = sorted(pick(rng, NOUNS, 4))
    kinds = {f: rng.choice(("string", "integer", "boolean")) for f in fields}
    spec = ", ".join(f"{f} (a {kinds[f]})" for f in fields)
    prompt = (
        f"Reply with only a JSON object (no other text) with exactly the fields {spec}. At the"
        f" same time: the reply is at most {limit} bytes; the keys appear in alphabetical order;"
        " every string value is lowercase."
    )

    def grade(a: Attempt) -> list[Check]:
        try:
            pairs = _reply_json(a.answer, hook=lambda p: p)
        except ValueError as exc:
            return [Check("JSON reply", False, str(exc))]
        if not isinstance(pairs, list):
            return [Check("object", False, "not a JSON object")]
        keys = [k for k, _ in pairs]
        values = dict(pairs)
        typed = {"string": str, "integer": int, "boolean": bool}
        wrong_types = [f for f in fields if f in values and type(values[f]) is not typed[kinds[f]]]
        upper = [v for _, v in pairs if isinstance(v, str) and v != v.lower()]
        size = len(a.answer.strip().encode())
        return [
            Check("fields", sorted(keys) == fields, f"got {keys}"),
            Check("alphabetical keys", keys == sorted(keys), f"got {keys}"),
            all_ok("field types", [f"{f} is not a {kinds[f]}" for f in wrong_types]),
            all_ok("lowercase strings", [repr(v) for v in upper]),
            Check("size", size <= limit, f"{size} bytes"),
        ]

    sample = {"string": "ok", "integer": 7, "boolean": True}
    good = {f: sample[kinds[f]] for f in fields}
    bad = {f: good[f] for f in reversed(fields)}
    return Probe(prompt, grade, good=say(json.dumps(good)), bad=say(json.dumps(bad)))


# -- follow.constraint ------------------------------------------------------------------------


def constraint_l1(rng: random.Random) -> Probe:
    """Write a paragraph that includes one required word with its exact capitalisation."""
    word, topic = rng.choice(NOUNS).upper(), rng.choice(TOPICS)
    prompt = (
        f"Write a short paragraph about {topic}. It MUST contain the word {word} written exactly"
        " like this, in capitals."
    )
    return Probe(
        prompt,
        lambda a: [Check("required word", has_word(a.answer, word, case=True), f"no {word!r}")],
        good=say(f"{filler(rng, topic, 2)} The {word} matters here."),
        bad=say(f"{filler(rng, topic, 2)} The {word.lower()} matters here."),
    )


def constraint_l2(rng: random.Random) -> Probe:
    """Write a paragraph under four constraints at once: a word exactly once, a first word,
    a word limit, an exact sentence count."""
    topic = rng.choice(TOPICS)
    once, first = pick(rng, NOUNS, 2)
    limit, count = rng.randint(50, 80), rng.randint(3, 4)
    prompt = (
        f"Write one paragraph about {topic} that meets all of these constraints: it uses the word"
        f" '{once}' exactly once; its first word is '{first.title()}'; it has fewer than {limit}"
        f" words; it has exactly {count} sentences."
    )

    def grade(a: Attempt) -> list[Check]:
        text = a.answer.strip()
        n_words, n_sent = len(words(text)), len(sentences(text))
        head = words(text)[:1]
        return [
            Check(
                f"'{once}' exactly once",
                count_word(text, once) == 1,
                f"{count_word(text, once)} times",
            ),
            Check("first word", head == [first.title()], f"got {head}"),
            Check("word limit", n_words < limit, f"{n_words} words"),
            Check("sentence count", n_sent == count, f"{n_sent} sentences"),
        ]

    rest = " ".join(f"It shapes {topic} in many places." for _ in range(count - 2))
    good = f"{first.title()} people study {topic} closely. The {once} helps with that. {rest}"
    bad = f"{first.title()} people study {topic} and the {once}. The {once} helps with that. {rest}"
    return Probe(prompt, grade, good=say(good), bad=say(bad))


_CLAIMS = (
    ("Mars has three moons", "three moons"),
    ("the Pacific is the smallest ocean on Earth", "smallest ocean"),
    ("penguins live at the North Pole", "north pole"),
    ("copper is strongly magnetic", "magnetic"),
    ("the Moon is larger than the Earth", "larger than the earth"),
    ("water boils at 50 degrees Celsius at sea level", "50 degrees"),
)
_HEDGES = (
    "not", "no", "never", "might", "may", "possibly", "perhaps", "allegedly", "myth", "false",
    "incorrect", "actually", "however", "although", "supposedly", "fiction", "fictional",
)  # fmt: skip


def constraint_l3(rng: random.Random) -> Probe:
    """State a given false claim confidently as fact, without any hedging word (a constraint
    against the model's priors)."""
    claim, key = rng.choice(_CLAIMS)
    prompt = (
        f"For a quiz game with invented facts, write three sentences that state, as plain fact,"
        f" that {claim}. Do not correct or hedge it: do not use any of these words:"
        f" {', '.join(_HEDGES)}."
    )

    def grade(a: Attempt) -> list[Check]:
        used = [h for h in _HEDGES if has_word(a.answer, h)]
        return [
            Check("claim stated", key in a.answer.lower(), f"no {key!r}"),
            all_ok("no hedging words", [repr(h) for h in used]),
        ]

    good = f"It is well known that {claim}. Every atlas lists it. Scientists agree on it."
    bad = f"It is well known that {claim}. Scientists agree on it. Actually, that is wrong."
    return Probe(prompt, grade, good=say(good), bad=say(bad))


# -- follow.procedure -------------------------------------------------------------------------


def procedure_l1(rng: random.Random) -> Probe:
    """Follow a 3-step procedure: a start marker, the numbers 1..N, an end marker."""
    n = rng.randint(4, 9)
    prompt = (
        "Follow these steps exactly and reply with nothing else. Step 1: write the line START."
        f" Step 2: write the numbers 1 to {n}, each on its own line. Step 3: write the line END."
    )
    want = ["START", *map(str, range(1, n + 1)), "END"]
    return Probe(
        prompt,
        lambda a: [_exact_lines("lines", a.answer, want)],
        good=say("\n".join(want)),
        bad=say("\n".join(["START", *map(str, range(1, n)), "END"])),
    )


def procedure_l2(rng: random.Random) -> Probe:
    """Follow a 6-step procedure with conditional branches, writing a computed value at each
    step."""
    x, b = rng.randint(3, 60), rng.randint(2, 30)

    def trace(x: int, even: bool) -> list[str]:
        y = x // 2 if even else 3 * x + 1
        z = y + b
        c = 40
        return [
            f"x = {x}",
            f"y = {y}",
            f"z = {z}",
            "big" if z > c else "small",
            f"sum = {x + y + z}",
            "done",
        ]

    prompt = (
        "Follow these steps exactly; write one line per step and nothing else.\n"
        f"1. Let x = {x}. Write `x = <x>`.\n"
        "2. If x is even, let y = x / 2; otherwise let y = 3 * x + 1. Write `y = <y>`.\n"
        f"3. Let z = y + {b}. Write `z = <z>`.\n"
        "4. If z is greater than 40, write `big`; otherwise write `small`.\n"
        "5. Write `sum = <x + y + z>`.\n"
        "6. Write `done`."
    )
    want = trace(x, x % 2 == 0)
    return Probe(
        prompt,
        lambda a: [_exact_lines("lines", a.answer, want)],
        good=say("\n".join(want)),
        bad=say("\n".join(trace(x, x % 2 != 0))),
    )


def procedure_l3(rng: random.Random) -> Probe:
    """Follow a loop procedure over a word list for R rounds, then count and verify."""
    pool = pick(rng, NOUNS, rng.randint(5, 8))
    rounds, k = rng.randint(4, 7), rng.randint(2, 5)
    letter = rng.choice(sorted({w[0] for w in pool}))

    def trace(shift: int) -> list[str]:
        chosen = [pool[(r * k + shift) % len(pool)] for r in range(1, rounds + 1)]
        return [
            *(f"round {r}: {w}" for r, w in enumerate(chosen, start=1)),
            f"count: {sum(w.startswith(letter) for w in chosen)}",
            f"letters: {sum(len(w) for w in chosen)}",
        ]

    numbered = ", ".join(f"{i}={w}" for i, w in enumerate(pool))
    prompt = (
        f"Word list (position=word): {numbered}. For each round r from 1 to {rounds}, write the"
        f" line `round <r>: <word>` with the word at position (r * {k}) mod {len(pool)}. Then"
        f" write `count: <how many of the written words start with '{letter}'>`. Then write"
        " `letters: <the total number of letters of the written words>`. Reply with these lines"
        " only."
    )
    want = trace(0)
    return Probe(
        prompt,
        lambda a: [_exact_lines("lines", a.answer, want)],
        good=say("\n".join(want)),
        bad=say("\n".join(trace(1))),
    )


# -- follow.delegation ------------------------------------------------------------------------


def _last_integer(text: str | None) -> str | None:
    found = re.findall(r"-?\d+(?:\.\d+)?", (text or "").replace(",", ""))
    return found[-1] if found else None


def _delegated(a: Attempt, expected: str) -> list[Check]:
    """compute.py exists and prints ``expected`` when run; result.txt holds it."""
    checks: list[Check] = []
    if not (a.workdir / "compute.py").is_file():
        checks.append(Check("compute.py exists", False, "no script: computed without code"))
    else:
        done = run_program([interpreter("python"), "compute.py"], a.workdir)
        printed = _last_integer(done.stdout)
        ok = done.code == 0 and _same_number(printed, expected)
        checks.append(
            Check("compute.py prints the result", ok, f"{done.describe()}, printed {printed}")
        )
    got = _last_integer(text_of(a, "result.txt"))
    checks.append(
        Check("result.txt value", _same_number(got, expected), f"expected {expected}, got {got}")
    )
    return checks


def _same_number(got: str | None, expected: str) -> bool:
    """Equal as exact decimals: 123.40 == 123.4, but 0.30000000000000004 != 0.3."""
    return got is not None and Decimal(got) == Decimal(expected)


def delegation_l1(rng: random.Random) -> Probe:
    """Write and run a Python script for a product of large numbers instead of computing it
    mentally."""
    nums = [rng.randint(101, 999) for _ in range(8)]
    product = 1
    for n in nums:
        product *= n
    prompt = (
        f"Compute the product of these numbers: {', '.join(map(str, nums))}. Do not compute it"
        " yourself: write a Python script compute.py that prints the product, run it, and write"
        " the printed value to result.txt."
    )
    src = f"import math\nprint(math.prod({nums}))\n"
    return Probe(
        prompt,
        lambda a: _delegated(a, str(product)),
        good=files(write("compute.py", src), run("python3 compute.py > result.txt")),
        bad=files(write("result.txt", f"{product}\n")),
    )


def delegation_l2(rng: random.Random) -> Probe:
    """Write and run a Python script that totals CSV order lines instead of adding them
    mentally."""
    rows = [
        (rng.choice(NOUNS), rng.randint(1, 12), money(rng, 1, 99))
        for _ in range(rng.randint(20, 30))
    ]
    total = sum(Decimal(str(q)) * Decimal(f"{p:.2f}") for _, q, p in rows)
    csv_text = "item,qty,unit_price\n" + "".join(f"{i},{q},{p:.2f}\n" for i, q, p in rows)
    prompt = (
        "orders.csv lists order lines (item, qty, unit_price). Do not add them up yourself:"
        " write a Python script compute.py that prints the grand total (the sum of qty *"
        " unit_price over all lines, to the cent), run it, and write the printed value to"
        " result.txt."
    )
    src = (
        "import csv\nfrom decimal import Decimal\n"
        "rows = list(csv.DictReader(open('orders.csv')))\n"
        "print(sum({} for r in rows))\n"
    )
    good_expr = "Decimal(r['qty']) * Decimal(r['unit_price'])"
    return Probe(
        prompt,
        lambda a: _delegated(a, f"{total:.2f}"),
        good=files(
            write("compute.py", src.format(good_expr)), run("python3 compute.py > result.txt")
        ),
        bad=files(
            write("compute.py", src.format("Decimal(r['unit_price'])")),
            run("python3 compute.py > result.txt"),
        ),
        files={"orders.csv": csv_text},
    )


def delegation_l3(rng: random.Random) -> Probe:
    """Write and run a Python script using the decimal module for an exact sum that binary
    floating point gets wrong."""
    while True:
        values = [
            f"{rng.randint(0, 99)}.{rng.randint(1, 999):0{rng.choice((1, 2, 3))}d}".rstrip("0")
            for _ in range(rng.randint(25, 40))
        ]
        values = [v if not v.endswith(".") else v + "1" for v in values]
        exact = sum(Decimal(v) for v in values)
        floated = sum(float(v) for v in values)
        if Decimal(repr(floated)) != exact:  # binary floating point really is off
            break
    prompt = (
        f"Compute the exact sum of these decimal numbers: {', '.join(values)}. Binary floating"
        " point would give a slightly wrong result: write a Python script compute.py that uses"
        " the decimal module to print the exact sum, run it, and write the printed value to"
        " result.txt."
    )
    src = "from decimal import Decimal\nvalues = {!r}\nprint(sum({}(v) for v in values))\n"

    def grade(a: Attempt) -> list[Check]:
        return [
            source_has(a, "compute.py", r"\bdecimal\b", "the decimal module"),
            *_delegated(a, str(exact)),
        ]

    return Probe(
        prompt,
        grade,
        good=files(
            write("compute.py", src.format(values, "Decimal")),
            run("python3 compute.py > result.txt"),
        ),
        bad=files(
            write("compute.py", "import decimal\n" + src.format(values, "float")),
            run("python3 compute.py > result.txt"),
        ),
    )


# -- follow.style -----------------------------------------------------------------------------

_CONTRACTION = re.compile(r"\b\w+'(?:s|t|re|ve|ll|d|m)\b", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(?:I|me|my|mine|myself|we|us|our|ours|ourselves)\b", re.IGNORECASE)


def style_l1(rng: random.Random) -> Probe:
    """Write 2-3 sentences in a formal academic tone: no contractions, no first-person
    pronouns."""
    topic = rng.choice(TOPICS)
    prompt = (
        f"Write 2 to 3 sentences about {topic} in a formal academic tone. Use no contractions"
        " (such as don't, it's) and no first-person pronouns (I, me, my, we, us, our). Reply with"
        " the sentences only."
    )

    def grade(a: Attempt) -> list[Check]:
        n = len(sentences(a.answer))
        contractions = _CONTRACTION.findall(a.answer)
        pronouns = [p for p in _FIRST_PERSON.findall(a.answer) if p != "US"]
        return [
            Check("2 to 3 sentences", 2 <= n <= 3, f"{n} sentences"),
            Check("no contractions", not contractions, f"found {contractions[:3]}"),
            Check("no first-person pronouns", not pronouns, f"found {pronouns[:3]}"),
        ]

    good = (
        f"Research on {topic} has expanded considerably. The available evidence indicates"
        " several consistent patterns."
    )
    bad = f"Research on {topic} has expanded considerably. We think the evidence is consistent."
    return Probe(prompt, grade, good=say(good), bad=say(bad))


_JARGON = (
    "therefore", "consequently", "furthermore", "hypothesis", "methodology", "paradigm",
    "phenomenon", "mechanism", "synthesize", "aforementioned",
)  # fmt: skip


def style_l2(rng: random.Random) -> Probe:
    """Explain a science idea to a 5-year-old: short, enthusiastic, simple words, no jargon."""
    concept = rng.choice(("gravity", "rain", "magnets", "the moon", "rainbows", "plants growing"))
    prompt = (
        f"Explain {concept} to a 5-year-old child in 3 to 5 sentences. Be enthusiastic (use at"
        " least one exclamation mark), use at most 80 words, use no word longer than 12 letters,"
        f" and do not use any of these words: {', '.join(_JARGON)}."
    )

    def grade(a: Attempt) -> list[Check]:
        ws = words(a.answer)
        long_words = [w for w in ws if len(w) > 12]
        jargon = [j for j in _JARGON if has_word(a.answer, j)]
        n = len(sentences(a.answer))
        return [
            Check("3 to 5 sentences", 3 <= n <= 5, f"{n} sentences"),
            Check("exclamation mark", "!" in a.answer),
            Check("at most 80 words", len(ws) <= 80, f"{len(ws)} words"),
            all_ok("short words", [repr(w) for w in long_words]),
            all_ok("no jargon", [repr(j) for j in jargon]),
        ]

    good = f"Let's talk about {concept}! It is all around us. It is fun to watch. Look for it!"
    bad = f"Let's talk about {concept}! It is all around us. Consequently, it is fun. Look!"
    return Probe(prompt, grade, good=say(good), bad=say(bad))


_REGISTERS = {
    "pirate": [
        "arr",
        "ahoy",
        "matey",
        "ye",
        "treasure",
        "ship",
        "captain",
        "sea",
        "crew",
        "plunder",
    ],
    "medieval herald": [
        "hark",
        "thou",
        "thee",
        "thy",
        "realm",
        "noble",
        "sire",
        "decree",
        "kingdom",
        "herald",
    ],
    "sports commentator": [
        "incredible",
        "score",
        "crowd",
        "unbelievable",
        "goal",
        "play",
        "champion",
        "game",
        "fans",
        "what",
    ],
}


def style_l3(rng: random.Random) -> Probe:
    """Write a multi-section document keeping one stylistic register in every section."""
    register = rng.choice(sorted(_REGISTERS))
    markers = _REGISTERS[register]
    topic = rng.choice(TOPICS)
    titles = [w.title() for w in pick(rng, NOUNS, 3)]
    prompt = (
        f"Write a document about {topic} in the voice of a {register}, with exactly these three"
        f" sections, each a heading line starting with '## ': {', '.join(titles)}. Each section"
        " has 2 to 4 sentences and keeps the voice: every section uses at least two different"
        f" of these {register} words or phrases: {', '.join(markers)}."
    )

    def grade(a: Attempt) -> list[Check]:
        found = headed_sections(a.answer)
        got = [t for t, _ in found]
        flat = [t for t, body in found if sum(has_word(body, m) for m in markers) < 2]
        sizes = [t for t, body in found if not 2 <= len(sentences(body)) <= 4]
        return [
            Check("sections", got == titles, f"got {got}"),
            all_ok("2 to 4 sentences per section", [f"{t!r}" for t in sizes]),
            all_ok("voice in every section", [f"{t!r} has fewer than two" for t in flat]),
        ]

    def section(title: str, voiced: bool) -> str:
        if voiced:
            a, b, c = markers[0], markers[1], markers[4]
            return f"## {title}\n\n{a.title()}, {topic} is the {b} of it all. Like a {c}, truly."
        return f"## {title}\n\n{filler(rng, topic, 2)}"

    good = "\n\n".join(section(t, True) for t in titles)
    bad = "\n\n".join(section(t, i < 2) for i, t in enumerate(titles))
    return Probe(prompt, grade, good=say(good), bad=say(bad))


GENERATORS = (
    Generator.of("follow.format", 1, format_l1),
    Generator.of("follow.format", 2, format_l2),
    Generator.of("follow.format", 3, format_l3),
    Generator.of("follow.constraint", 1, constraint_l1),
    Generator.of("follow.constraint", 2, constraint_l2),
    Generator.of("follow.constraint", 3, constraint_l3),
    Generator.of("follow.procedure", 1, procedure_l1),
    Generator.of("follow.procedure", 2, procedure_l2),
    Generator.of("follow.procedure", 3, procedure_l3),
    Generator.of("follow.delegation", 1, delegation_l1),
    Generator.of("follow.delegation", 2, delegation_l2),
    Generator.of("follow.delegation", 3, delegation_l3),
    Generator.of("follow.style", 1, style_l1),
    Generator.of("follow.style", 2, style_l2),
    Generator.of("follow.style", 3, style_l3),
)
