"""Code generation: Python, JavaScript, shell, SQL, HTML.

The model writes a program; the check runs it (or, for SQL and HTML, evaluates it) on the given
input and on a hidden one, and compares the output exactly (numbers with a stated tolerance).
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
from collections.abc import Callable
from itertools import pairwise
from typing import Any

from skvm_shim.profiler.checks import (
    Judge,
    all_ok,
    interpreter,
    json_equal,
    number_judge,
    program_cases,
    same_text,
    source_has,
    text_of,
)
from skvm_shim.profiler.generators._data import DEPARTMENTS, NAMES, NOUNS, REGIONS, money, pick
from skvm_shim.profiler.htmltree import Element, parse_html
from skvm_shim.profiler.probe import Attempt, Check, Generator, Probe, files, run, write


def _lines(values: list[object]) -> str:
    return "\n".join(str(v) for v in values) + "\n"


# -- gen.code.python --------------------------------------------------------------------------


def python_l1(rng: random.Random) -> Probe:
    """Write a Python script with file I/O that counts the numbers above a threshold; run on the
    given and a hidden input."""
    t = rng.randint(30, 70)

    def data() -> list[int]:
        nums = [rng.randint(1, 100) for _ in range(rng.randint(15, 25))] + [t]
        rng.shuffle(nums)
        return nums

    shown, hidden = data(), data()
    prompt = (
        "Write a Python script named solution.py that reads numbers.txt (one integer per line),"
        f" counts how many of the numbers are greater than {t}, and writes that count to a file"
        " named result.txt. Run it once with `python3 solution.py`."
    )
    src = (
        "nums = [int(line) for line in open('numbers.txt') if line.strip()]\n"
        "with open('result.txt', 'w') as f:\n"
        f"    f.write(str(sum(1 for n in nums if n {{op}} {t})))\n"
    )

    def grade(a: Attempt) -> list[Check]:
        return program_cases(
            a,
            "solution.py",
            [interpreter("python"), "solution.py"],
            [
                ("given input", {}, number_judge("count", sum(n > t for n in shown))),
                (
                    "hidden input",
                    {"numbers.txt": _lines(list(hidden))},
                    number_judge("count", sum(n > t for n in hidden)),
                ),
            ],
            output="result.txt",
        )

    return Probe(
        prompt,
        grade,
        good=files(write("solution.py", src.replace("{op}", ">")), run("python3 solution.py")),
        bad=files(write("solution.py", src.replace("{op}", ">=")), run("python3 solution.py")),
        files={"numbers.txt": _lines(list(shown))},
    )


def _sales(rng: random.Random, regions: list[str]) -> list[tuple[str, float]]:
    return [(rng.choice(regions), money(rng, 5, 400)) for _ in range(rng.randint(10, 16))]


def _sales_csv(rows: list[tuple[str, float]]) -> str:
    return "region,amount\n" + "".join(f"{r},{a:.2f}\n" for r, a in rows)


def _totals(rows: list[tuple[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for region, amount in rows:
        out[region] = out.get(region, 0.0) + amount
    return {k: round(v, 2) for k, v in out.items()}


def python_l2(rng: random.Random) -> Probe:
    """Write a Python script using csv and json to total amounts per region; run on the given
    and a hidden input."""
    regions = pick(rng, REGIONS, 3)
    shown, hidden = _sales(rng, regions), _sales(rng, regions)
    prompt = (
        "Write a Python script named solution.py that uses the csv and json modules to read"
        " sales.csv (columns: region, amount), compute the total amount per region, and write"
        " totals.json: a JSON object mapping each region to its total, rounded to 2 decimals."
        " Run it once with `python3 solution.py`."
    )
    src = (
        "import csv, json\n"
        "totals = {}\n"
        "counts = {}\n"
        "for row in csv.DictReader(open('sales.csv')):\n"
        "    totals[row['region']] = totals.get(row['region'], 0) + float(row['amount'])\n"
        "    counts[row['region']] = counts.get(row['region'], 0) + 1\n"
        "json.dump({k: round(v{div}, 2) for k, v in totals.items()}, open('totals.json', 'w'))\n"
    )

    def grade(a: Attempt) -> list[Check]:
        return program_cases(
            a,
            "solution.py",
            [interpreter("python"), "solution.py"],
            [
                ("given input", {}, _approx_json("totals", _totals(shown))),
                (
                    "hidden input",
                    {"sales.csv": _sales_csv(hidden)},
                    _approx_json("totals", _totals(hidden)),
                ),
            ],
            output="totals.json",
        )

    return Probe(
        prompt,
        grade,
        good=files(write("solution.py", src.replace("{div}", "")), run("python3 solution.py")),
        bad=files(
            write("solution.py", src.replace("{div}", " / counts[k]")), run("python3 solution.py")
        ),
        files={"sales.csv": _sales_csv(shown)},
    )


def _approx_json(name: str, expected: dict[str, float]) -> Judge:
    """A JSON object with exactly these keys and values within 0.01."""

    def judge(out: str | None) -> Check:
        try:
            value = json.loads(out or "")
        except json.JSONDecodeError:
            return Check(name, False, "not valid JSON" if out else "missing")
        if not isinstance(value, dict) or set(value) != set(expected):
            return Check(name, False, f"expected keys {sorted(expected)}, got {_keys(value)}")
        bad = [
            f"{k}: expected {v}, got {value[k]}"
            for k, v in expected.items()
            if not isinstance(value[k], int | float) or abs(value[k] - v) > 0.01
        ]
        return all_ok(name, bad)

    return judge


def _keys(value: object) -> object:
    return sorted(value) if isinstance(value, dict) else type(value).__name__


def _graph(rng: random.Random, nodes: list[str]) -> list[tuple[str, str, int]]:
    edges: dict[tuple[str, str], int] = {}
    for a, b in pairwise(nodes):
        edges[(a, b)] = rng.randint(5, 20)
    # A direct edge heavier than the whole chain: fewest hops is never the lightest path.
    edges[(nodes[0], nodes[-1])] = sum(edges.values()) + rng.randint(1, 10)
    for _ in range(len(nodes)):
        a, b = rng.sample(nodes, 2)
        if (a, b) not in edges and (b, a) not in edges:
            edges[(a, b)] = rng.randint(1, 20)
    return [(a, b, w) for (a, b), w in edges.items()]


def _edges_csv(edges: list[tuple[str, str, int]]) -> str:
    return "source,target,weight\n" + "".join(f"{a},{b},{w}\n" for a, b, w in edges)


def _path_judge(edges: list[tuple[str, str, int]], start: str, end: str) -> Judge:
    import networkx as nx  # a project dependency; imported when a check needs it

    graph = nx.Graph()
    graph.add_weighted_edges_from(edges)
    best = nx.shortest_path_length(graph, start, end, weight="weight")

    def judge(out: str | None) -> Check:
        try:
            value = json.loads(out or "")
            path, length = value["path"], value["length"]
        except (json.JSONDecodeError, KeyError, TypeError):
            return Check("shortest path", False, "result.json is not {path, length}")
        if not isinstance(path, list) or not path or path[0] != start or path[-1] != end:
            return Check("shortest path", False, f"path must run from {start} to {end}: {path}")
        steps = list(pairwise(path))
        if any(not graph.has_edge(a, b) for a, b in steps):
            return Check("shortest path", False, f"not a path in the graph: {path}")
        walked = sum(graph[a][b]["weight"] for a, b in steps)
        ok = walked == best and length == best
        return Check(
            "shortest path",
            ok,
            "" if ok else f"shortest is {best}; got length {length}, path weighs {walked}",
        )

    return judge


def python_l3(rng: random.Random) -> Probe:
    """Write a Python script using a third-party library (networkx shortest path or PyYAML
    report); run on the given and a hidden input."""
    if rng.random() < 0.5:
        nodes = [f"N{i}" for i in rng.sample(range(1, 99), 8)]
        shown, hidden = _graph(rng, nodes), _graph(rng, nodes)
        start, end = nodes[0], nodes[-1]
        prompt = (
            "Write a Python script named solution.py that uses the networkx library to read"
            " edges.csv (columns: source, target, weight; an undirected weighted graph), find"
            f" the shortest weighted path from {start} to {end}, and write result.json as"
            ' {"path": [list of nodes from start to end], "length": total weight}.'
            " Run it once with `python3 solution.py`."
        )
        src = (
            "import csv, json\nimport networkx as nx\n"
            "g = nx.Graph()\n"
            "for r in csv.DictReader(open('edges.csv')):\n"
            "    g.add_edge(r['source'], r['target'], weight=int(r['weight']))\n"
            f"path = nx.shortest_path(g, '{start}', '{end}'{{weight}})\n"
            "length = sum(g[a][b]['weight'] for a, b in zip(path, path[1:]))\n"
            "json.dump({'path': path, 'length': length}, open('result.json', 'w'))\n"
        )

        def grade(a: Attempt) -> list[Check]:
            return [
                source_has(a, "solution.py", r"\bimport networkx|\bfrom networkx\b", "networkx"),
                *program_cases(
                    a,
                    "solution.py",
                    [interpreter("python"), "solution.py"],
                    [
                        ("given input", {}, _path_judge(shown, start, end)),
                        (
                            "hidden input",
                            {"edges.csv": _edges_csv(hidden)},
                            _path_judge(hidden, start, end),
                        ),
                    ],
                    output="result.json",
                ),
            ]

        return Probe(
            prompt,
            grade,
            good=files(
                write("solution.py", src.replace("{weight}", ", weight='weight'")),
                run("python3 solution.py"),
            ),
            # Unweighted: fewest hops. The generator makes sure that differs somewhere.
            bad=files(
                write("solution.py", src.replace("{weight}", "")), run("python3 solution.py")
            ),
            files={"edges.csv": _edges_csv(shown)},
            requires=("python:networkx",),
        )
    return _yaml_inventory(rng)


def _inventory(rng: random.Random) -> list[dict[str, Any]]:
    names = pick(rng, NOUNS, rng.randint(4, 6))
    qtys = rng.sample(range(1, 60), len(names))
    items: list[dict[str, Any]] = [
        {"name": n, "qty": q, "price": money(rng, 1, 90)} for n, q in zip(names, qtys, strict=True)
    ]
    # The most stocked item is the cheapest: picking by price gives another item.
    max(items, key=lambda i: int(i["qty"]))["price"] = 0.5
    return items


def _inventory_yaml(items: list[dict[str, Any]]) -> str:
    return "items:\n" + "".join(
        f"  - name: {i['name']}\n    qty: {i['qty']}\n    price: {i['price']:.2f}\n" for i in items
    )


def _inventory_report(items: list[dict[str, Any]]) -> dict[str, Any]:
    total = sum(float(i["qty"]) * float(i["price"]) for i in items)
    top = max(items, key=lambda i: int(i["qty"]))
    return {"total_value": round(total, 2), "most_stocked": top["name"]}


def _yaml_inventory(rng: random.Random) -> Probe:
    shown, hidden = _inventory(rng), _inventory(rng)
    prompt = (
        "Write a Python script named solution.py that uses the PyYAML library (import yaml) to"
        " read inventory.yaml (a list `items` of name, qty, price) and writes report.json as"
        ' {"total_value": sum of qty * price rounded to 2 decimals, "most_stocked": the name'
        " of the item with the largest qty}. Run it once with `python3 solution.py`."
    )
    src = (
        "import json\nimport yaml\n"
        "items = yaml.safe_load(open('inventory.yaml'))['items']\n"
        "total = sum(i['qty'] * i['price'] for i in items)\n"
        "top = max(items, key=lambda i: i['{key}'])\n"
        "json.dump({'total_value': round(total, 2), 'most_stocked': top['name']},"
        " open('report.json', 'w'))\n"
    )

    def judge(items: list[dict[str, Any]]) -> Judge:
        expected = _inventory_report(items)
        return lambda out: _report_check(out, expected)

    def grade(a: Attempt) -> list[Check]:
        return [
            source_has(a, "solution.py", r"\bimport yaml\b|\bfrom yaml\b", "PyYAML"),
            *program_cases(
                a,
                "solution.py",
                [interpreter("python"), "solution.py"],
                [
                    ("given input", {}, judge(shown)),
                    ("hidden input", {"inventory.yaml": _inventory_yaml(hidden)}, judge(hidden)),
                ],
                output="report.json",
            ),
        ]

    return Probe(
        prompt,
        grade,
        good=files(write("solution.py", src.replace("{key}", "qty")), run("python3 solution.py")),
        bad=files(write("solution.py", src.replace("{key}", "price")), run("python3 solution.py")),
        files={"inventory.yaml": _inventory_yaml(shown)},
        requires=("python:yaml",),
    )


def _report_check(out: str | None, expected: dict[str, Any]) -> Check:
    try:
        value = json.loads(out or "")
    except json.JSONDecodeError:
        return Check("report", False, "not valid JSON" if out else "missing")
    if not isinstance(value, dict):
        return Check("report", False, "not a JSON object")
    total_ok = (
        isinstance(value.get("total_value"), int | float)
        and abs(float(value["total_value"]) - float(expected["total_value"])) <= 0.01
    )
    top_ok = value.get("most_stocked") == expected["most_stocked"]
    ok = total_ok and top_ok
    return Check("report", ok, "" if ok else f"expected {expected}, got {value}")


# -- gen.code.javascript ----------------------------------------------------------------------


def js_l1(rng: random.Random) -> Probe:
    """Write a Node.js script that counts the lines containing a character; run on the given and
    a hidden input."""
    ch = rng.choice("aeiou")

    def data() -> list[str]:
        lines = [" ".join(pick(rng, NOUNS, 2)) for _ in range(rng.randint(10, 16))]
        lines.append(f"{ch}{ch}{ch} {ch}")  # several hits on one line
        rng.shuffle(lines)
        return lines

    shown, hidden = data(), data()

    def count(lines: list[str]) -> int:
        return sum(ch in line for line in lines)

    prompt = (
        "Write a Node.js script named solution.js that reads text.txt, counts the lines that"
        f" contain the character '{ch}' at least once, and writes that count to result.txt."
        " Run it once with `node solution.js`."
    )
    good = (
        "const fs = require('fs');\n"
        "const lines = fs.readFileSync('text.txt', 'utf8').split('\\n').filter(l => l.length);\n"
        f"fs.writeFileSync('result.txt', String(lines.filter(l => l.includes('{ch}')).length));\n"
    )
    bad = (
        "const fs = require('fs');\n"
        "const text = fs.readFileSync('text.txt', 'utf8');\n"
        f"fs.writeFileSync('result.txt', String(text.split('{ch}').length - 1));\n"
    )

    def grade(a: Attempt) -> list[Check]:
        return program_cases(
            a,
            "solution.js",
            [interpreter("node"), "solution.js"],
            [
                ("given input", {}, number_judge("count", count(shown))),
                (
                    "hidden input",
                    {"text.txt": _lines(list(hidden))},
                    number_judge("count", count(hidden)),
                ),
            ],
            output="result.txt",
        )

    return Probe(
        prompt,
        grade,
        good=files(write("solution.js", good), run("node solution.js")),
        bad=files(write("solution.js", bad), run("node solution.js")),
        files={"text.txt": _lines(list(shown))},
        requires=("node",),
    )


def _scores(rng: random.Random) -> list[tuple[str, int]]:
    return [(n, rng.randint(40, 100)) for n in pick(rng, NAMES, rng.randint(5, 9))]


def _scores_csv(rows: list[tuple[str, int]]) -> str:
    return "name,score\n" + "".join(f"{n},{s}\n" for n, s in rows)


def js_l2(rng: random.Random) -> Probe:
    """Write a Node.js script that parses CSV and writes the count and average as JSON; run on
    the given and a hidden input."""
    shown, hidden = _scores(rng), _scores(rng)

    prompt = (
        "Write a Node.js script named solution.js that reads scores.csv (header line, then"
        " name,score rows), and writes result.json as"
        ' {"count": number of rows, "average": mean score rounded to 2 decimals}.'
        " Run it once with `node solution.js`."
    )
    src = (
        "const fs = require('fs');\n"
        "const rows = fs.readFileSync('scores.csv', 'utf8').trim().split('\\n'){skip};\n"
        "const scores = rows.map(r => Number(r.split(',')[1]) || 0);\n"
        "const avg = scores.reduce((a, b) => a + b, 0) / scores.length;\n"
        "fs.writeFileSync('result.json', JSON.stringify({count: scores.length,"
        " average: Math.round(avg * 100) / 100}));\n"
    )

    def grade(a: Attempt) -> list[Check]:
        return program_cases(
            a,
            "solution.js",
            [interpreter("node"), "solution.js"],
            [
                ("given input", {}, _average_judge(shown)),
                (
                    "hidden input",
                    {"scores.csv": _scores_csv(hidden)},
                    _average_judge(hidden),
                ),
            ],
            output="result.json",
        )

    return Probe(
        prompt,
        grade,
        good=files(
            write("solution.js", src.replace("{skip}", ".slice(1)")), run("node solution.js")
        ),
        # Counts the header as a row.
        bad=files(write("solution.js", src.replace("{skip}", "")), run("node solution.js")),
        files={"scores.csv": _scores_csv(shown)},
        requires=("node",),
    )


def _average_judge(rows: list[tuple[str, int]]) -> Judge:
    """``{"count": n, "average": mean}``; the mean within a cent (rounding half up or half to
    even are both right)."""
    n, mean = len(rows), sum(s for _, s in rows) / len(rows)

    def judge(out: str | None) -> Check:
        try:
            value = json.loads(out or "")
        except json.JSONDecodeError:
            return Check("result", False, "not valid JSON" if out else "missing")
        if not isinstance(value, dict) or set(value) != {"count", "average"}:
            return Check("result", False, f"expected keys average, count; got {_keys(value)}")
        avg = value["average"]
        ok = value["count"] == n and isinstance(avg, int | float) and abs(avg - mean) <= 0.01
        return Check(
            "result", ok, "" if ok else f"expected count {n}, average {mean:.2f}; got {value}"
        )

    return judge


def _user_files(rng: random.Random, count: int) -> list[list[dict[str, Any]]]:
    ids = rng.sample(range(1, 60), 10)
    out = []
    for _ in range(count):
        chosen = rng.sample(ids, rng.randint(3, 5))
        out.append([{"id": i, "name": rng.choice(NAMES)} for i in chosen])
    # One id in two files under different names: which one is kept matters.
    dup = out[0][0]["id"]
    out[-1].append({"id": dup, "name": "Zed"})
    return out


def _merged(parts: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    seen: dict[int, dict[str, Any]] = {}
    for part in parts:
        for record in part:
            seen.setdefault(record["id"], record)
    return sorted(seen.values(), key=lambda r: int(r["id"]))


def js_l3(rng: random.Random) -> Probe:
    """Write a Node.js script that reads several JSON files with Promise.all, merges and
    deduplicates by id (first wins), sorted."""
    n = rng.randint(3, 4)
    shown, hidden = _user_files(rng, n), _user_files(rng, n)
    names = [f"users_{i + 1}.json" for i in range(n)]
    prompt = (
        f"The files {', '.join(names)} each hold a JSON array of records {{id, name}}. Write a"
        " Node.js script named solution.js that reads all of them concurrently with"
        " Promise.all and fs.promises.readFile, merges the records keeping only the first"
        f" record seen for each id (in file order {names[0]}, {names[1]}, ...), and writes"
        " merged.json: the kept records as a JSON array sorted by id ascending. Run it once"
        " with `node solution.js`."
    )
    src = (
        "const fs = require('fs');\n"
        f"const names = {json.dumps(names)};\n"
        "Promise.all(names.map(n => fs.promises.readFile(n, 'utf8'))).then(texts => {\n"
        "  const seen = new Map();\n"
        "  for (const t of texts) for (const r of JSON.parse(t)) { KEEP }\n"
        "  const out = [...seen.values()].sort((a, b) => a.id - b.id);\n"
        "  fs.writeFileSync('merged.json', JSON.stringify(out));\n"
        "});\n"
    )

    def grade(a: Attempt) -> list[Check]:
        swap = {name: json.dumps(part) for name, part in zip(names, hidden, strict=True)}
        return [
            source_has(a, "solution.js", r"Promise\.all", "Promise.all"),
            *program_cases(
                a,
                "solution.js",
                [interpreter("node"), "solution.js"],
                [
                    ("given input", {}, lambda out: json_equal("merged", out, _merged(shown))),
                    ("hidden input", swap, lambda out: json_equal("merged", out, _merged(hidden))),
                ],
                output="merged.json",
            ),
        ]

    keep_first = "if (!seen.has(r.id)) seen.set(r.id, r);"
    keep_last = "seen.set(r.id, r);"
    return Probe(
        prompt,
        grade,
        good=files(write("solution.js", src.replace("KEEP", keep_first)), run("node solution.js")),
        bad=files(write("solution.js", src.replace("KEEP", keep_last)), run("node solution.js")),
        files={name: json.dumps(part) for name, part in zip(names, shown, strict=True)},
        requires=("node",),
    )


# -- gen.code.shell ---------------------------------------------------------------------------

_LEVELS = ("INFO", "WARN", "ERROR", "DEBUG")


def shell_l1(rng: random.Random) -> Probe:
    """Write a bash script that uses grep to count the lines starting with a prefix."""
    prefix = rng.choice(_LEVELS)

    def data() -> list[str]:
        out = []
        for i in range(rng.randint(12, 20)):
            level = rng.choice(_LEVELS)
            out.append(f"{level} job {i} finished {rng.choice(NOUNS)}")
        out.append(f"note: retry after {prefix} on worker")  # the prefix, not at the start
        out.append(f"{prefix} final check")
        rng.shuffle(out)
        return out

    shown, hidden = data(), data()

    def count(lines: list[str]) -> int:
        return sum(line.startswith(prefix) for line in lines)

    prompt = (
        f"Write a bash script named solution.sh that prints the number of lines of log.txt that"
        f" start with {prefix} (use grep). It must print only that number. Test it with"
        " `bash solution.sh`."
    )

    def grade(a: Attempt) -> list[Check]:
        return program_cases(
            a,
            "solution.sh",
            [interpreter("bash"), "solution.sh"],
            [
                ("given input", {}, number_judge("printed count", count(shown))),
                (
                    "hidden input",
                    {"log.txt": _lines(list(hidden))},
                    number_judge("printed count", count(hidden)),
                ),
            ],
            output=None,
        )

    return Probe(
        prompt,
        grade,
        good=files(write("solution.sh", f"grep -c '^{prefix}' log.txt\n"), run("bash solution.sh")),
        bad=files(write("solution.sh", f"grep -c '{prefix}' log.txt\n"), run("bash solution.sh")),
        files={"log.txt": _lines(list(shown))},
    )


def shell_l2(rng: random.Random) -> Probe:
    """Write a bash pipeline (sort, head, cut) printing the top-k names by numeric score."""
    k = rng.randint(2, 4)

    def data() -> list[tuple[str, int]]:
        people = pick(rng, NAMES, rng.randint(7, 10))
        # Scores of different widths, so a text sort and a numeric sort disagree.
        # One single-digit score, lowest by value and highest by text: sort -n matters.
        scores = [*rng.sample(range(10, 200), len(people) - 1), rng.randint(1, 9)]
        rows = list(zip(people, scores, strict=True))
        rng.shuffle(rows)
        return rows

    shown, hidden = data(), data()

    def top(rows: list[tuple[str, int]]) -> str:
        return "\n".join(n for n, _ in sorted(rows, key=lambda r: -r[1])[:k])

    def text(rows: list[tuple[str, int]]) -> str:
        return "".join(f"{n} {s}\n" for n, s in rows)

    prompt = (
        f"scores.txt has lines `name score`. Write a bash script named solution.sh that prints"
        f" the names of the top {k} entries by score (highest first), one name per line and"
        " nothing else, using a pipeline (e.g. sort | head | cut). Test it with"
        " `bash solution.sh`."
    )

    def grade(a: Attempt) -> list[Check]:
        return [
            source_has(a, "solution.sh", r"\|", "a pipeline"),
            *program_cases(
                a,
                "solution.sh",
                [interpreter("bash"), "solution.sh"],
                [
                    ("given input", {}, lambda out: same_text("printed names", out, top(shown))),
                    (
                        "hidden input",
                        {"scores.txt": text(hidden)},
                        lambda out: same_text("printed names", out, top(hidden)),
                    ),
                ],
                output=None,
            ),
        ]

    return Probe(
        prompt,
        grade,
        good=files(
            write("solution.sh", f"sort -k2,2nr scores.txt | head -n {k} | cut -d' ' -f1\n"),
            run("bash solution.sh"),
        ),
        bad=files(
            write("solution.sh", f"sort -k2,2r scores.txt | head -n {k} | cut -d' ' -f1\n"),
            run("bash solution.sh"),
        ),
        files={"scores.txt": text(shown)},
    )


def shell_l3(rng: random.Random) -> Probe:
    """Write a bash script using awk to sum a key=value field (pairs in any order) over lines of
    one log level."""
    level = rng.choice(("WARN", "ERROR"))

    def data() -> tuple[list[str], int]:
        lines, total = [], 0
        for i in range(rng.randint(12, 18)):
            lv = rng.choice(_LEVELS)
            latency = rng.randint(5, 900)
            fields = [
                f"service={rng.choice(NOUNS)}",
                f"latency_ms={latency}",
                f"status={rng.choice((200, 404, 500))}",
            ]
            rng.shuffle(fields)  # key=value pairs in no fixed order
            lines.append(f"2024-05-01T10:{i:02d}:00 {lv} " + " ".join(fields))
            total += latency if lv == level else 0
        # latency_ms first: a fixed column ($4) reads another key's value here.
        latency = rng.randint(5, 900)
        lines.append(f"2024-05-01T11:00:00 {level} latency_ms={latency} service=db status=200")
        return lines, total + latency

    (shown, total_shown), (hidden, total_hidden) = data(), data()
    prompt = (
        "app.log has lines `TIMESTAMP LEVEL key=value key=value ...`; the key=value pairs come in"
        " any order. Write a bash script named solution.sh that uses awk to print the sum of"
        f" latency_ms over all {level} lines (print only the number). Test it with"
        " `bash solution.sh`."
    )
    good = (
        f'awk \'$2 == "{level}" {{ for (i = 3; i <= NF; i++) {{ split($i, kv, "=");'
        ' if (kv[1] == "latency_ms") s += kv[2] } } END { print s + 0 }\' app.log\n'
    )
    bad = (
        f'awk \'$2 == "{level}" {{ split($4, kv, "="); s += kv[2] }} END {{ print s + 0 }}\''
        " app.log\n"
    )

    def grade(a: Attempt) -> list[Check]:
        return [
            source_has(a, "solution.sh", r"\bawk\b", "awk"),
            *program_cases(
                a,
                "solution.sh",
                [interpreter("bash"), "solution.sh"],
                [
                    ("given input", {}, number_judge("printed sum", total_shown)),
                    (
                        "hidden input",
                        {"app.log": _lines(list(hidden))},
                        number_judge("printed sum", total_hidden),
                    ),
                ],
                output=None,
            ),
        ]

    return Probe(
        prompt,
        grade,
        good=files(write("solution.sh", good), run("bash solution.sh")),
        bad=files(write("solution.sh", bad), run("bash solution.sh")),
        files={"app.log": _lines(list(shown))},
    )


# -- gen.code.sql -----------------------------------------------------------------------------


def _sql_rows(schema: str, query: str) -> list[tuple[object, ...]]:
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(schema)
        return [tuple(row) for row in db.execute(query).fetchall()]
    finally:
        db.close()


def _sql_grade(
    schemas: tuple[str, str], reference: str, *, needs: tuple[tuple[str, str], ...] = ()
) -> Callable[[Attempt], list[Check]]:
    """query.sql must return the reference query's rows, on the given and on a hidden dataset."""

    def grade(a: Attempt) -> list[Check]:
        query = text_of(a, "query.sql")
        if query is None:
            return [Check("query.sql exists", False, "not written")]
        checks = [
            Check(f"query uses {what}", re.search(pattern, query, re.IGNORECASE) is not None)
            for pattern, what in needs
        ]
        for label, schema in zip(("given data", "hidden data"), schemas, strict=True):
            try:
                got = _sql_rows(schema, query.strip())
            except sqlite3.Error as exc:
                checks.append(Check(f"{label}: query runs", False, str(exc)[:120]))
                continue
            want = _sql_rows(schema, reference)
            ok = [tuple(_num(v) for v in r) for r in got] == [
                tuple(_num(v) for v in r) for r in want
            ]
            checks.append(
                Check(f"{label}: rows", ok, "" if ok else f"expected {want[:4]}, got {got[:4]}")
            )
        return checks

    return grade


def _num(value: object) -> object:
    return round(float(value), 6) if isinstance(value, int | float) else value


def sql_l1(rng: random.Random) -> Probe:
    """Write a SQLite query counting the rows above a threshold (checked on the given and a
    hidden dataset)."""
    t = rng.randint(50, 300)

    def schema() -> str:
        rows = [(i, rng.choice(NAMES), rng.randint(10, 500)) for i in range(1, rng.randint(12, 20))]
        rows.append((99, "Vera", t))  # the boundary value
        values = ",".join(f"({i},'{n}',{a})" for i, n, a in rows)
        return (
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, amount INTEGER);\n"
            f"INSERT INTO orders VALUES {values};\n"
        )

    shown, hidden = schema(), schema()
    prompt = (
        "schema.sql creates and fills a SQLite table `orders(id, customer, amount)`. Write"
        f" query.sql: one SQL query that returns the number of orders with an amount greater"
        f" than {t} (a single row with a single column)."
    )
    query = "SELECT COUNT(*) FROM orders WHERE amount {op} " + str(t)  # noqa: S608 - generated test data
    return Probe(
        prompt,
        _sql_grade((shown, hidden), query.replace("{op}", ">")),
        good=files(write("query.sql", query.replace("{op}", ">") + ";")),
        bad=files(write("query.sql", query.replace("{op}", ">=") + ";")),
        files={"schema.sql": shown},
    )


def sql_l2(rng: random.Random) -> Probe:
    """Write a SQLite query with JOIN and GROUP BY returning the department with the most
    employees."""

    def schema() -> str:
        depts = pick(rng, DEPARTMENTS, 4)
        sizes = rng.sample(range(1, 7), 4)  # distinct sizes: one department has the most
        emps, eid = [], 1
        for d, size in enumerate(sizes, start=1):
            for _ in range(size):
                emps.append(f"({eid},'{rng.choice(NAMES)}',{d})")
                eid += 1
        rng.shuffle(emps)
        dvals = ",".join(f"({i},'{n}')" for i, n in enumerate(depts, start=1))
        return (
            "CREATE TABLE departments (id INTEGER PRIMARY KEY, name TEXT);\n"
            "CREATE TABLE employees (id INTEGER PRIMARY KEY, name TEXT, dept_id INTEGER);\n"
            f"INSERT INTO departments VALUES {dvals};\n"
            f"INSERT INTO employees VALUES {','.join(emps)};\n"
        )

    shown, hidden = schema(), schema()
    reference = (
        "SELECT d.name FROM departments d JOIN employees e ON e.dept_id = d.id"
        " GROUP BY d.id ORDER BY COUNT(*) DESC LIMIT 1"
    )
    prompt = (
        "schema.sql creates and fills SQLite tables `departments(id, name)` and"
        " `employees(id, name, dept_id)`. Write query.sql: one SQL query using JOIN and GROUP BY"
        " that returns the name of the department with the most employees (one row, one"
        " column)."
    )
    return Probe(
        prompt,
        _sql_grade(
            (shown, hidden),
            reference,
            needs=((r"\bjoin\b", "JOIN"), (r"\bgroup\s+by\b", "GROUP BY")),
        ),
        good=files(write("query.sql", reference + ";")),
        # Most employees by dept_id, answered with the id instead of the name.
        bad=files(write("query.sql", reference.replace("SELECT d.name", "SELECT d.id") + ";")),
        files={"schema.sql": shown},
    )


def sql_l3(rng: random.Random) -> Probe:
    """Write a SQLite query with a CTE and a window function returning each department's top
    earner."""

    def schema() -> str:
        rows, eid = [], 1
        for dept in pick(rng, DEPARTMENTS, 3):
            salaries = rng.sample(range(40, 160), rng.randint(2, 4))
            for s in salaries:
                rows.append(f"({eid},'{rng.choice(NAMES)}','{dept}',{s * 1000})")
                eid += 1
        rng.shuffle(rows)
        return (
            "CREATE TABLE employees (id INTEGER PRIMARY KEY, name TEXT, dept TEXT,"
            " salary INTEGER);\n"
            f"INSERT INTO employees VALUES {','.join(rows)};\n"
        )

    shown, hidden = schema(), schema()
    reference = (
        "WITH ranked AS (SELECT dept, name, salary, RANK() OVER (PARTITION BY dept ORDER BY"
        " salary DESC) AS r FROM employees) SELECT dept, name, salary FROM ranked WHERE r = 1"
        " ORDER BY dept"
    )
    prompt = (
        "schema.sql creates and fills a SQLite table `employees(id, name, dept, salary)`. Write"
        " query.sql: one SQL query that uses a CTE (WITH ...) and a window function"
        " (RANK() or ROW_NUMBER() OVER (PARTITION BY ...)) to return the top earner of each"
        " department as rows (dept, name, salary), ordered by dept."
    )
    return Probe(
        prompt,
        _sql_grade(
            (shown, hidden),
            reference,
            needs=((r"^\s*with\b", "a CTE"), (r"\bover\s*\(", "a window function")),
        ),
        good=files(write("query.sql", reference + ";")),
        # Ranks over the whole table instead of per department.
        bad=files(write("query.sql", reference.replace("PARTITION BY dept ", "") + ";")),
        files={"schema.sql": shown},
    )


# -- gen.code.html ----------------------------------------------------------------------------


def _page(attempt: Attempt) -> Element | None:
    text = text_of(attempt, "page.html")
    return None if text is None else parse_html(text)


def html_l1(rng: random.Random) -> Probe:
    """Write an HTML document with an exact h1 heading and an unordered list of given items."""
    title = f"{rng.choice(NOUNS).title()} {rng.choice(('Notes', 'Checklist', 'Inventory'))}"
    items = pick(rng, NOUNS, rng.randint(3, 6))
    prompt = (
        f"Write page.html: an HTML document with an h1 heading that reads exactly {title!r} and"
        f" an unordered list (ul) whose li items are exactly, in order: {', '.join(items)}."
    )

    def grade(a: Attempt) -> list[Check]:
        root = _page(a)
        if root is None:
            return [Check("page.html exists", False, "not written")]
        h1, ul = root.find("h1"), root.find("ul")
        got = [li.text() for li in ul.iter("li")] if ul is not None else []
        return [
            Check(
                "h1 text",
                h1 is not None and h1.text() == title,
                f"got {h1.text() if h1 is not None else None!r}",
            ),
            Check(
                "list items", got == items, "" if got == items else f"expected {items}, got {got}"
            ),
        ]

    lis = "".join(f"<li>{i}</li>" for i in items)
    return Probe(
        prompt,
        grade,
        good=files(
            write(
                "page.html",
                f"<!DOCTYPE html><html><body><h1>{title}</h1><ul>{lis}</ul></body></html>",
            )
        ),
        bad=files(
            write(
                "page.html",
                f"<!DOCTYPE html><html><body><h1>{title}</h1><ol>{lis}</ol></body></html>",
            )
        ),
    )


def html_l2(rng: random.Random) -> Probe:
    """Write a semantic HTML document (header, main, footer) with a thead/tbody table of given
    cells."""
    header = ["Item", "Qty", "Price"]
    rows = [
        [n, str(rng.randint(1, 20)), f"{money(rng, 1, 50):.2f}"]
        for n in pick(rng, NOUNS, rng.randint(2, 4))
    ]
    spec = "; ".join(", ".join(r) for r in rows)
    prompt = (
        "Write page.html: an HTML document with a header, a main and a footer element. Inside"
        " main put a table whose thead has one row of th cells: Item, Qty, Price, and whose tbody"
        f" has one tr per line of td cells, exactly: {spec}."
    )

    def grade(a: Attempt) -> list[Check]:
        root = _page(a)
        if root is None:
            return [Check("page.html exists", False, "not written")]
        main = root.find("main")
        table = main.find("table") if main is not None else None
        thead = table.find("thead") if table is not None else None
        tbody = table.find("tbody") if table is not None else None
        got_head = [th.text() for th in thead.iter("th")] if thead is not None else []
        got_rows = (
            [[td.text() for td in tr.iter("td")] for tr in tbody.iter("tr")]
            if tbody is not None
            else []
        )
        return [
            all_ok(
                "semantic layout",
                [f"no {t}" for t in ("header", "main", "footer") if root.find(t) is None],
            ),
            Check("table in main", table is not None),
            Check("thead cells", got_head == header, f"got {got_head}"),
            Check("tbody rows", got_rows == rows, "" if got_rows == rows else f"got {got_rows}"),
        ]

    head = "<tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr>"
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    table = f"<table><thead>{head}</thead><tbody>{body}</tbody></table>"
    return Probe(
        prompt,
        grade,
        good=files(
            write(
                "page.html",
                f"<html><body><header>Stock</header><main>{table}</main><footer>end</footer></body></html>",
            )
        ),
        bad=files(
            write(
                "page.html",
                f"<html><body><header>Stock</header>{table}<footer>end</footer></body></html>",
            )
        ),
    )


def html_l3(rng: random.Random) -> Probe:
    """Write an HTML document with an inline SVG bar chart: one rect per value, heights scaled
    exactly."""
    values = [rng.randint(3, 40) for _ in range(rng.randint(4, 6))]
    scale = rng.choice((2, 3, 5))
    prompt = (
        "Write page.html: an HTML document containing an inline SVG bar chart of the values"
        f" {values} (in this order, left to right). Draw one rect per value, each with a width"
        f" of 20, a height of exactly value × {scale} pixels, and x positions increasing from"
        " left to right. Use no other rect elements."
    )

    def grade(a: Attempt) -> list[Check]:
        root = _page(a)
        if root is None:
            return [Check("page.html exists", False, "not written")]
        svg = root.find("svg")
        if svg is None:
            return [Check("inline svg", False, "no svg element")]
        rects = list(svg.iter("rect"))
        try:
            bars = [(float(r.attrs.get("x", "0")), float(r.attrs["height"])) for r in rects]
        except (KeyError, ValueError):
            return [Check("rect attributes", False, "a rect lacks a numeric x or height")]
        heights = [h for _, h in sorted(bars)]
        want = [float(v * scale) for v in values]
        ok = len(heights) == len(want) and all(
            abs(h - w) <= 0.01 for h, w in zip(heights, want, strict=True)
        )
        return [
            Check("rect count", len(rects) == len(values), f"{len(rects)} rects"),
            Check("bar heights", ok, "" if ok else f"expected {want}, got {heights}"),
        ]

    def svg(mult: int) -> str:
        rects = "".join(
            f'<rect x="{10 + 25 * i}" y="0" width="20" height="{v * mult}" />'
            for i, v in enumerate(values)
        )
        return f'<html><body><svg width="300" height="250">{rects}</svg></body></html>'

    return Probe(
        prompt,
        grade,
        good=files(write("page.html", svg(scale))),
        bad=files(write("page.html", svg(1))),
    )


GENERATORS = (
    Generator.of("gen.code.python", 1, python_l1),
    Generator.of("gen.code.python", 2, python_l2),
    Generator.of("gen.code.python", 3, python_l3),
    Generator.of("gen.code.javascript", 1, js_l1),
    Generator.of("gen.code.javascript", 2, js_l2),
    Generator.of("gen.code.javascript", 3, js_l3),
    Generator.of("gen.code.shell", 1, shell_l1),
    Generator.of("gen.code.shell", 2, shell_l2),
    Generator.of("gen.code.shell", 3, shell_l3),
    Generator.of("gen.code.sql", 1, sql_l1),
    Generator.of("gen.code.sql", 2, sql_l2),
    Generator.of("gen.code.sql", 3, sql_l3),
    Generator.of("gen.code.html", 1, html_l1),
    Generator.of("gen.code.html", 2, html_l2),
    Generator.of("gen.code.html", 3, html_l3),
)
