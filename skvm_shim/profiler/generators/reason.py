"""Reasoning: arithmetic, logic, spatial, planning, code analysis.

Answers are the final reply. Each prompt says how the answer must end (a number, a name, a
labelled line), and the check reads exactly that; the expected value is computed here.
"""

from __future__ import annotations

import itertools
import math
import random
import re

from skvm_shim.profiler.checks import answer_number, close, last_number
from skvm_shim.profiler.generators._data import NAMES, NOUNS, pick
from skvm_shim.profiler.probe import Attempt, Check, Generator, Probe, say


def _last_of(text: str, options: list[str]) -> str | None:
    """The option mentioned last in ``text`` (whole words, any case)."""
    best: tuple[int, str] | None = None
    for option in options:
        for m in re.finditer(rf"(?<![A-Za-z]){re.escape(option)}(?![A-Za-z])", text, re.I):
            if best is None or m.start() > best[0]:
                best = (m.start(), option)
    return None if best is None else best[1]


def _label(text: str, label: str) -> str | None:
    """The value of the last line ``label: value`` (any case, optional markdown emphasis)."""
    found = re.findall(rf"^[\s*_`-]*{label}[\s*_`]*[:=][\s*_`]*(.*?)[\s*_`]*$", text, re.I | re.M)
    return found[-1].strip() if found else None


def _names(value: str | None, pool: list[str]) -> list[str]:
    if not value:
        return []
    return [t for t in re.split(r"[\s,;>]+|->", value) if t in pool]


# -- reason.arithmetic ------------------------------------------------------------------------


def arithmetic_l1(rng: random.Random) -> Probe:
    """Compute one operation (addition, subtraction, multiplication or a percentage); answer
    with the number."""
    a, b = rng.randint(10, 9999), rng.randint(10, 999)
    op = rng.choice(("+", "-", "*", "%"))
    value = {"+": a + b, "-": a - b, "*": a * b, "%": a * b / 100}[op]
    question = f"What is {b}% of {a}?" if op == "%" else f"What is {a} {op.replace('*', 'x')} {b}?"
    tol = max(0.01, abs(value) * 0.001)
    return Probe(
        f"{question} End your answer with the number.",
        lambda at: [answer_number(at, value, tol)],
        good=say(f"The answer is {value:.2f}"),
        bad=say(f"The answer is {value + max(1, abs(value) * 0.01):.2f}"),
    )


def arithmetic_l2(rng: random.Random) -> Probe:
    """Solve a word problem: price times quantity, a discount, then sales tax; answer to the
    cent."""
    price, qty = rng.randint(50, 249), rng.randint(2, 6)
    discount, tax = rng.choice((5, 10, 15, 20)), rng.choice((6, 8, 10))
    value = round(price * qty * (1 - discount / 100) * (1 + tax / 100), 2)
    prompt = (
        f"A shop sells a lamp for ${price}. A customer buys {qty} lamps, gets a {discount}%"
        f" discount on the total, and then pays {tax}% sales tax on the discounted total. How"
        " much does the customer pay? End your answer with the amount in dollars, to the cent."
    )
    no_tax = round(price * qty * (1 - discount / 100), 2)
    return Probe(
        prompt,
        lambda at: [answer_number(at, value, 0.01)],
        good=say(f"Total: ${value:,.2f}"),
        bad=say(f"Total: ${no_tax:,.2f}"),
    )


def arithmetic_l3(rng: random.Random) -> Probe:
    """Compute compound interest: the final value and the effective annual rate."""
    principal = rng.randint(1, 50) * 1000
    rate = rng.randint(3, 12)
    periods, label = rng.choice(((12, "monthly"), (4, "quarterly"), (1, "annually")))
    years = rng.randint(2, 10)
    total = principal * (1 + rate / 100 / periods) ** (periods * years)
    ear = ((1 + rate / 100 / periods) ** periods - 1) * 100
    prompt = (
        f"${principal} is invested at {rate}% annual interest, compounded {label}, for {years}"
        " years. Answer with two lines: `total: <final value in dollars, to the cent>` and"
        " `rate: <effective annual rate in percent, two decimals>`."
    )

    def grade(at: Attempt) -> list[Check]:
        got_total = last_number(_label(at.answer, "total"))
        got_rate = last_number(_label(at.answer, "rate"))
        return [
            close("total", got_total, total, max(0.01, total * 0.001)),
            close("effective annual rate", got_rate, ear, 0.01),
        ]

    simple = principal * (1 + rate / 100 * years)
    return Probe(
        prompt,
        grade,
        good=say(f"total: ${total:,.2f}\nrate: {ear:.2f}%"),
        bad=say(f"total: ${simple:,.2f}\nrate: {rate:.2f}%"),
    )


# -- reason.logic -----------------------------------------------------------------------------

_TERMS = ("blickets", "wugs", "daxes", "feps", "tomas", "zorbs", "glims", "prams")
_SYLLOGISMS = (  # premises, conclusion, valid
    ("All {a} are {b}. All {b} are {c}.", "all {a} are {c}", True),
    ("All {a} are {b}. All {c} are {b}.", "all {a} are {c}", False),
    ("No {a} are {b}. All {c} are {a}.", "no {c} are {b}", True),
    ("Some {a} are {b}. All {b} are {c}.", "some {a} are {c}", True),
    ("All {a} are {b}. Some {b} are {c}.", "some {a} are {c}", False),
    ("No {a} are {b}. No {b} are {c}.", "no {a} are {c}", False),
)


def logic_l1(rng: random.Random) -> Probe:
    """Decide whether a categorical syllogism's conclusion follows; answer yes or no."""
    premises, conclusion, valid = rng.choice(_SYLLOGISMS)
    a, b, c = rng.sample(_TERMS, 3)
    terms = {"a": a, "b": b, "c": c}
    prompt = (
        f"{premises.format(**terms)} Does it follow that {conclusion.format(**terms)}? End your"
        " answer with yes or no."
    )
    right, wrong = ("yes", "no") if valid else ("no", "yes")

    def grade(at: Attempt) -> list[Check]:
        got = _last_of(at.answer, ["yes", "no"])
        return [Check("verdict", got == right, f"expected {right}, got {got}")]

    return Probe(prompt, grade, good=say(f"Answer: {right}"), bad=say(f"Answer: {wrong}"))


Clue = tuple[str, str, str, int]
"""(kind, person, other person, seat): one statement about a seating."""


def _holds(clue: Clue, seat: dict[str, int], n: int) -> bool:
    kind, p, q, k = clue
    if kind == "adj":
        return seat[p] + 1 == seat[q]
    if kind == "left":
        return seat[p] < seat[q]
    if kind == "apart":
        return abs(seat[p] - seat[q]) > 1
    if kind == "at":
        return seat[p] == k
    return seat[p] in (1, n)  # "end"


def _seating_constraints(order: list[str], rng: random.Random, asked: int) -> list[str]:
    """True statements about ``order`` until exactly one seating satisfies them."""
    seat = {p: i + 1 for i, p in enumerate(order)}
    n = len(order)
    pool: list[tuple[str, Clue]] = []
    for p, q in itertools.permutations(order, 2):
        if seat[p] + 1 == seat[q]:
            pool.append((f"{p} sits immediately left of {q}.", ("adj", p, q, 0)))
        if seat[p] < seat[q]:
            pool.append((f"{p} sits somewhere left of {q}.", ("left", p, q, 0)))
        if abs(seat[p] - seat[q]) > 1 and p < q:
            pool.append((f"{p} and {q} do not sit next to each other.", ("apart", p, q, 0)))
    for p in order:
        if seat[p] != asked:
            pool.append((f"{p} sits in seat {seat[p]}.", ("at", p, "", seat[p])))
        if seat[p] in (1, n):
            pool.append((f"{p} sits at one end of the row.", ("end", p, "", 0)))
    rng.shuffle(pool)
    chosen: list[str] = []
    candidates = [
        dict(zip(perm, range(1, n + 1), strict=True)) for perm in itertools.permutations(order)
    ]
    for text, clue in pool:
        if len(candidates) == 1:
            break
        narrowed = [s for s in candidates if _holds(clue, s, n)]
        if len(narrowed) < len(candidates):
            chosen.append(text)
            candidates = narrowed
    return chosen


def logic_l2(rng: random.Random) -> Probe:
    """Solve a seating puzzle with positional constraints; name who sits in a given seat."""
    people = pick(rng, NAMES, rng.randint(4, 5))
    asked = rng.randint(1, len(people))
    clues = _seating_constraints(people, rng, asked)
    listed = sorted(people)
    prompt = (
        f"{', '.join(listed)} sit in a row of {len(people)} seats numbered 1 to {len(people)}"
        f" from left to right, one per seat. {' '.join(clues)} Who sits in seat {asked}? End your"
        " answer with the person's name."
    )
    right = people[asked - 1]
    wrong = people[asked % len(people)]

    def grade(at: Attempt) -> list[Check]:
        got = _last_of(at.answer, people)
        return [Check("person", got == right, f"expected {right}, got {got}")]

    return Probe(
        prompt, grade, good=say(f"Seat {asked}: {right}"), bad=say(f"Seat {asked}: {wrong}")
    )


def logic_l3(rng: random.Random) -> Probe:
    """Solve a worker-to-task assignment problem for the minimum total cost."""
    n = rng.randint(3, 4)
    workers, tasks = pick(rng, NAMES, n), [f"task {c}" for c in "ABCD"[:n]]
    while True:
        cost = [[rng.randint(1, 30) for _ in range(n)] for _ in range(n)]
        best = min(sum(cost[i][p[i]] for i in range(n)) for p in itertools.permutations(range(n)))
        greedy, used = 0, set()
        for i in range(n):  # each worker takes its cheapest free task
            j = min((j for j in range(n) if j not in used), key=lambda j: cost[i][j])
            used.add(j)
            greedy += cost[i][j]
        if greedy != best:
            break
    rows = "\n".join(
        f"- {w}: " + ", ".join(f"{t} costs {c}" for t, c in zip(tasks, cost[i], strict=True))
        for i, w in enumerate(workers)
    )
    prompt = (
        f"Assign each of {n} workers to exactly one of {n} tasks (each task to exactly one"
        f" worker) so that the total cost is as small as possible. Costs:\n{rows}\nEnd your"
        " answer with the minimum total cost."
    )
    return Probe(
        prompt,
        lambda at: [answer_number(at, best, 0)],
        good=say(f"Minimum total cost: {best}"),
        bad=say(f"Minimum total cost: {greedy}"),
    )


# -- reason.spatial ---------------------------------------------------------------------------


def spatial_l1(rng: random.Random) -> Probe:
    """Compute the Euclidean or Manhattan distance between two 2D points."""
    while True:
        (x1, y1), (x2, y2) = [(rng.randint(-20, 20), rng.randint(-20, 20)) for _ in range(2)]
        if x1 != x2 and y1 != y2:
            break
    euclid = math.hypot(x2 - x1, y2 - y1)
    manhattan = abs(x2 - x1) + abs(y2 - y1)
    kind = rng.choice(("Euclidean", "Manhattan"))
    value, other = (euclid, manhattan) if kind == "Euclidean" else (manhattan, euclid)
    prompt = (
        f"What is the {kind} distance between the points ({x1}, {y1}) and ({x2}, {y2})? End your"
        " answer with the number, rounded to two decimals."
    )
    return Probe(
        prompt,
        lambda at: [answer_number(at, value, 0.01)],
        good=say(f"The distance is {value:.2f}"),
        bad=say(f"The distance is {other:.2f}"),
    )


def spatial_l2(rng: random.Random) -> Probe:
    """Compute the area of a triangle or the diagonal of a rectangle from vertex
    coordinates."""
    if rng.random() < 0.5:
        while True:
            pts = [(rng.randint(-10, 10), rng.randint(-10, 10)) for _ in range(3)]
            (ax, ay), (bx, by), (cx, cy) = pts
            twice = abs((bx - ax) * (cy - ay) - (cx - ax) * (by - ay))
            if twice:
                break
        value, wrong = twice / 2, float(twice)
        shape = f"the triangle with vertices {', '.join(str(p) for p in pts)}"
        what = "area"
    else:
        x, y = rng.randint(-10, 10), rng.randint(-10, 10)
        w, h = rng.randint(2, 15), rng.randint(2, 15)
        corners = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
        value, wrong = math.hypot(w, h), float(w + h)
        shape = f"the rectangle with corners {', '.join(str(p) for p in corners)}"
        what = "length of the diagonal"
    prompt = (
        f"What is the {what} of {shape}? End your answer with the number, rounded to two decimals."
    )
    return Probe(
        prompt,
        lambda at: [answer_number(at, value, 0.01)],
        good=say(f"It is {value:.2f}"),
        bad=say(f"It is {wrong:.2f}"),
    )


_PLACES = (
    ("Aldenport", 59.9, 10.7), ("Brisa", -33.9, 18.4), ("Corvale", 40.7, -74.0),
    ("Dunmere", 35.7, 139.7), ("Esterby", -37.8, 144.9), ("Fenwick", 64.1, -21.9),
    ("Galloway Bay", 1.3, 103.8), ("Harrowgate", 19.4, -99.1),
)  # fmt: skip


def _haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    (la1, lo1), (la2, lo2) = [(math.radians(p[0]), math.radians(p[1])) for p in (a, b)]
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(h))


def spatial_l3(rng: random.Random) -> Probe:
    """Compute the great-circle distance between two places with the haversine formula."""
    while True:
        (n1, la1, lo1), (n2, la2, lo2) = rng.sample(_PLACES, 2)
        value = _haversine((la1, lo1), (la2, lo2))
        flat = math.hypot(la2 - la1, lo2 - lo1) * 111.2
        if abs(flat - value) > 0.02 * value:
            break
    prompt = (
        f"{n1} is at latitude {la1}, longitude {lo1}; {n2} is at latitude {la2}, longitude {lo2}."
        " Using the haversine formula with an Earth radius of 6371 km, what is the great-circle"
        " distance between them? End your answer with the distance in km."
    )
    return Probe(
        prompt,
        lambda at: [answer_number(at, value, value * 0.005)],
        good=say(f"About {value:.0f} km"),
        bad=say(f"About {flat:.0f} km"),
    )


# -- reason.planning --------------------------------------------------------------------------


def _dag(rng: random.Random, names: list[str], density: float) -> dict[str, list[str]]:
    """Dependencies: each task may depend on tasks earlier in ``names`` (a hidden order)."""
    deps: dict[str, list[str]] = {}
    for i, t in enumerate(names):
        earlier = names[:i]
        deps[t] = sorted(d for d in earlier if rng.random() < density)
        if i and not deps[t] and rng.random() < 0.7:
            deps[t] = [rng.choice(earlier)]
    return deps


def _describe_deps(deps: dict[str, list[str]], rng: random.Random) -> str:
    lines = [
        f"- {t} needs {', '.join(d)} first" if d else f"- {t} needs nothing"
        for t, d in deps.items()
    ]
    rng.shuffle(lines)
    return "\n".join(lines)


def planning_l1(rng: random.Random) -> Probe:
    """Give a valid order for 5 tasks with dependencies (a topological order)."""
    names = pick(rng, NOUNS, 5)
    deps = _dag(rng, names, 0.4)
    if all(not d for d in deps.values()):  # at least one dependency, so order matters
        deps[names[-1]] = [names[0]]
    prompt = (
        f"Tasks and their dependencies:\n{_describe_deps(deps, rng)}\nGive an order in which all"
        " tasks can be done, each after everything it needs. End your answer with a line"
        " `order: task, task, ...`."
    )

    def grade(at: Attempt) -> list[Check]:
        got = _names(_label(at.answer, "order"), names)
        if sorted(got) != sorted(names):
            return [Check("order", False, f"not every task exactly once: {got}")]
        pos = {t: i for i, t in enumerate(got)}
        broken = [f"{t} before {d}" for t, ds in deps.items() for d in ds if pos[t] < pos[d]]
        return [Check("order", not broken, "; ".join(broken))]

    reverse = list(reversed(names))
    return Probe(
        prompt,
        grade,
        good=say("order: " + ", ".join(names)),
        bad=say("order: " + ", ".join(reverse)),
    )


def _stages(deps: dict[str, list[str]]) -> dict[str, int]:
    stage: dict[str, int] = {}
    for t, needs in deps.items():  # deps only point backwards in insertion order
        stage[t] = 1 + max((stage[d] for d in needs), default=0)
    return stage


def planning_l2(rng: random.Random) -> Probe:
    """Identify which tasks of a dependency graph run in parallel at a given time step."""
    names = pick(rng, NOUNS, rng.randint(6, 7))
    while True:
        deps = _dag(rng, names, 0.3)
        stage = _stages(deps)
        steps = [s for s in set(stage.values()) if sum(v == s for v in stage.values()) >= 2]
        if steps:
            break
    k = rng.choice(steps)
    want = sorted(t for t, s in stage.items() if s == k)
    prompt = (
        f"Tasks and their dependencies:\n{_describe_deps(deps, rng)}\nEvery task takes one time"
        " step; any number of tasks can run at once, and a task starts as soon as everything it"
        f" needs is finished. The first tasks run in step 1. Which tasks run in step {k}? End"
        " your answer with a line `step: task, task, ...`."
    )

    def grade(at: Attempt) -> list[Check]:
        got = sorted(set(_names(_label(at.answer, "step"), names)))
        return [Check("tasks in the step", got == want, f"expected {want}, got {got}")]

    return Probe(
        prompt,
        grade,
        good=say("step: " + ", ".join(want)),
        bad=say("step: " + ", ".join(want[:-1])),
    )


def planning_l3(rng: random.Random) -> Probe:
    """Trace a deployment pipeline with a failing step: which steps complete, which are
    skipped (transitively)."""
    names = [
        "checkout",
        "lint",
        "compile",
        "unit-tests",
        "package",
        "integration",
        "staging",
        "release",
    ]
    deps = {
        "checkout": [], "lint": ["checkout"], "compile": ["checkout"],
        "unit-tests": ["compile"], "package": ["compile", "lint"],
        "integration": ["package"], "staging": ["integration"],
        "release": ["staging", "unit-tests"],
    }  # fmt: skip
    failing = rng.choice(("compile", "package", "lint", "integration"))
    skipped: set[str] = set()
    for t in names:  # topological already
        if any(d == failing or d in skipped for d in deps[t]):
            skipped.add(t)
    completed = [t for t in names if t != failing and t not in skipped]
    prompt = (
        f"A deployment pipeline has these steps:\n{_describe_deps(deps, rng)}\nA step runs only"
        " if every step it needs completed successfully; otherwise it is skipped. In this run"
        f" the step {failing} fails. End your answer with two lines: `completed: step, step, ...`"
        " (the steps that ran successfully) and `skipped: step, step, ...`."
    )

    def grade(at: Attempt) -> list[Check]:
        got_done = sorted(set(_names(_label(at.answer, "completed"), names)))
        got_skip = sorted(set(_names(_label(at.answer, "skipped"), names)))
        return [
            Check(
                "completed steps",
                got_done == sorted(completed),
                f"expected {sorted(completed)}, got {got_done}",
            ),
            Check(
                "skipped steps",
                got_skip == sorted(skipped),
                f"expected {sorted(skipped)}, got {got_skip}",
            ),
        ]

    direct = sorted(t for t in names if failing in deps[t])
    return Probe(
        prompt,
        grade,
        good=say(f"completed: {', '.join(completed)}\nskipped: {', '.join(sorted(skipped))}"),
        bad=say(
            "completed: "
            + ", ".join(t for t in names if t != failing and t not in direct)
            + f"\nskipped: {', '.join(direct)}"
        ),
    )


# -- reason.analysis --------------------------------------------------------------------------

_SNIPPETS = (  # code, what it does
    ("def f(s):\n    return s[::-1]", "returns the string reversed"),
    (
        "def f(s):\n    return sum(1 for c in s.lower() if c in 'aeiou')",
        "counts the vowels in a string",
    ),
    ("def f(xs):\n    return sum(x for x in xs if x % 2 == 0)", "sums the even numbers of a list"),
    (
        "def f(xs):\n    m = xs[0]\n    for x in xs:\n        if x > m:\n            m = x\n"
        "    return m",
        "returns the largest element of a list",
    ),
    (
        "def f(s):\n    t = s.lower()\n    return t == t[::-1]",
        "tells whether a string is a palindrome",
    ),
    (
        "def f(xs):\n    out = []\n    for x in xs:\n        if x not in out:\n"
        "            out.append(x)\n    return out",
        "removes duplicates, keeping the first occurrences in order",
    ),
    (
        "def f(n):\n    r = 1\n    for i in range(2, n + 1):\n        r *= i\n    return r",
        "computes the factorial of n",
    ),
    ("def f(words):\n    return max(words, key=len)", "returns the longest word of a list"),
)


def analysis_l1(rng: random.Random) -> Probe:
    """Say what a short Python function does (choose among four descriptions)."""
    code, right = rng.choice(_SNIPPETS)
    options = [right, *rng.sample([d for _, d in _SNIPPETS if d != right], 3)]
    rng.shuffle(options)
    letter = "ABCD"[options.index(right)]
    wrong = "ABCD"[(options.index(right) + 1) % 4]
    listing = "\n".join(f"{'ABCD'[i]}) f {d}" for i, d in enumerate(options))
    prompt = (
        f"What does this Python function do?\n\n```python\n{code}\n```\n\n{listing}\n\nEnd your"
        " answer with a line `option: <letter>`."
    )

    def grade(at: Attempt) -> list[Check]:
        got = (_label(at.answer, "option") or "").strip("()").upper()[:1]
        return [Check("option", got == letter, f"expected {letter}, got {got or None}")]

    return Probe(prompt, grade, good=say(f"option: {letter}"), bad=say(f"option: {wrong}"))


_BUGGY = (  # lines, index of the one wrong line
    (
        [
            "def mean(xs):",
            "    total = 0",
            "    for x in xs:",
            "        total += x",
            "    return total / (len(xs) - 1)",
        ],
        4,
    ),
    (
        [
            "def count_above(xs, limit):",
            "    n = 0",
            "    for x in xs:",
            "        if x >= limit:",
            "            n += 1",
            "    return n",
        ],
        3,
    ),
    (
        [
            "def last_n(xs, n):",
            "    out = []",
            "    for i in range(len(xs) - n, len(xs) - 1):",
            "        out.append(xs[i])",
            "    return out",
        ],
        2,
    ),
    (["def product(xs):", "    p = 0", "    for x in xs:", "        p *= x", "    return p"], 1),
    (
        [
            "def is_sorted(xs):",
            "    for i in range(len(xs) - 1):",
            "        if xs[i] < xs[i + 1]:",
            "            return False",
            "    return True",
        ],
        2,
    ),
)
_SPEC = (
    "returns the arithmetic mean of xs",
    "counts the elements of xs strictly greater than limit",
    "returns the last n elements of xs",
    "returns the product of the elements of xs",
    "tells whether xs is sorted in ascending order",
)


def analysis_l2(rng: random.Random) -> Probe:
    """Find the one buggy line in a short Python function."""
    i = rng.randrange(len(_BUGGY))
    lines, bug = _BUGGY[i]
    pad = rng.randint(0, 2)
    lines = ["# helper module", *["# (unused) " + w for w in pick(rng, NOUNS, pad)], *lines]
    bug += 1 + pad
    numbered = "\n".join(f"{n:>2}  {line}" for n, line in enumerate(lines, start=1))
    prompt = (
        f"This function should: {_SPEC[i]}. Exactly one line is wrong.\n\n```\n{numbered}\n```\n\n"
        "End your answer with a line `line: <number>` naming the wrong line."
    )

    def grade(at: Attempt) -> list[Check]:
        got = last_number(_label(at.answer, "line"))
        return [Check("line", got == bug + 1, f"expected {bug + 1}, got {got}")]

    return Probe(prompt, grade, good=say(f"line: {bug + 1}"), bad=say(f"line: {bug + 2}"))


def analysis_l3(rng: random.Random) -> Probe:
    """Find the root-cause file and line of a wrong result in a multi-file Python program."""
    rate = rng.randint(5, 25)
    prices = [rng.randint(10, 90) for _ in range(3)]
    pad = [
        "# settings for the shop",
        *[f"{w.upper()}_ENABLED = True" for w in pick(rng, NOUNS, rng.randint(0, 3))],
    ]
    settings = [*pad, "CURRENCY = 'EUR'", f"TAX_PERCENT = {rate}", "TAX_RATE = TAX_PERCENT / 10"]
    bug_line = len(settings)
    pricing = [
        "from settings import TAX_RATE",
        "",
        "def with_tax(amount):",
        "    return round(amount * (1 + TAX_RATE), 2)",
    ]
    main = [
        "from pricing import with_tax",
        "",
        f"PRICES = {prices}",
        "print(sum(with_tax(p) for p in PRICES))",
    ]
    wrong = round(sum(round(p * (1 + rate / 10), 2) for p in prices), 2)
    right = round(sum(round(p * (1 + rate / 100), 2) for p in prices), 2)
    prompt = (
        f"The program in main.py, pricing.py and settings.py should print the total of the prices"
        f" with {rate}% tax ({right}), but `python3 main.py` prints {wrong}. Read the files and"
        " find the line that causes it. End your answer with two lines: `file: <file name>` and"
        " `line: <line number>`."
    )

    def grade(at: Attempt) -> list[Check]:
        got_file = (_label(at.answer, "file") or "").strip("`'\" ")
        got_line = last_number(_label(at.answer, "line"))
        return [
            Check(
                "file", got_file == "settings.py", f"expected settings.py, got {got_file or None}"
            ),
            Check("line", got_line == bug_line, f"expected {bug_line}, got {got_line}"),
        ]

    return Probe(
        prompt,
        grade,
        good=say(f"file: settings.py\nline: {bug_line}"),
        bad=say("file: pricing.py\nline: 4"),
        files={
            "main.py": "\n".join(main) + "\n",
            "pricing.py": "\n".join(pricing) + "\n",
            "settings.py": "\n".join(settings) + "\n",
        },
    )


GENERATORS = (
    Generator.of("reason.arithmetic", 1, arithmetic_l1),
    Generator.of("reason.arithmetic", 2, arithmetic_l2),
    Generator.of("reason.arithmetic", 3, arithmetic_l3),
    Generator.of("reason.logic", 1, logic_l1),
    Generator.of("reason.logic", 2, logic_l2),
    Generator.of("reason.logic", 3, logic_l3),
    Generator.of("reason.spatial", 1, spatial_l1),
    Generator.of("reason.spatial", 2, spatial_l2),
    Generator.of("reason.spatial", 3, spatial_l3),
    Generator.of("reason.planning", 1, planning_l1),
    Generator.of("reason.planning", 2, planning_l2),
    Generator.of("reason.planning", 3, planning_l3),
    Generator.of("reason.analysis", 1, analysis_l1),
    Generator.of("reason.analysis", 2, analysis_l2),
    Generator.of("reason.analysis", 3, analysis_l3),
)
