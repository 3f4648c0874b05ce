"""Tool use: reading and writing files, running commands, call formatting, batches of reads,
a loopback web API, and static HTML pages.

Outcomes are checked, not the calls that produced them: any harness's tools can reach them, and
inputs are sized so that guessing without the tool does not work.
"""

from __future__ import annotations

import json
import random
import statistics
from collections.abc import Mapping
from typing import Any

from skvm_shim.profiler.checks import (
    file_is,
    json_equal,
    number_in_file,
    text_of,
)
from skvm_shim.profiler.generators._data import NAMES, NOUNS, REGIONS, pick
from skvm_shim.profiler.probe import (
    BASE_URL,
    Attempt,
    Check,
    Generator,
    Probe,
    fetch,
    files,
    read,
    run,
    say,
    write,
)


def _text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def _phrases(rng: random.Random, n: int) -> list[str]:
    return [f"{a} {b} {rng.randint(10, 999)}" for a, b in (pick(rng, NOUNS, 2) for _ in range(n))]


# -- tool.file.read ---------------------------------------------------------------------------


def file_read_l1(rng: random.Random) -> Probe:
    """Read one file and copy its content exactly into a new file."""
    lines = _phrases(rng, rng.randint(3, 6))
    content = _text(lines)
    altered = _text([*lines[:-1], lines[-1] + "x"])
    return Probe(
        "Read the file source.txt and write its exact content to a new file named copy.txt.",
        lambda a: [file_is(a, "copy.txt", content)],
        good=files(read("source.txt"), write("copy.txt", content)),
        bad=files(read("source.txt"), write("copy.txt", altered)),
        files={"source.txt": content},
    )


def file_read_l2(rng: random.Random) -> Probe:
    """Read several files, some missing, and write a per-file summary (first line or
    NOT_FOUND)."""
    names = [f"{w}.txt" for w in pick(rng, NOUNS, rng.randint(4, 5))]
    missing = set(rng.sample(names, rng.randint(1, 2)))
    present = {n: _text(_phrases(rng, rng.randint(2, 4))) for n in names if n not in missing}
    expected = _text(
        [f"{n}: {present[n].splitlines()[0] if n in present else 'NOT_FOUND'}" for n in names]
    )
    prompt = (
        f"For each of the files {', '.join(names)} (in this order), write one line to summary.txt:"
        " `<file name>: <the file's first line>`, or `<file name>: NOT_FOUND` when the file does"
        " not exist."
    )
    skipping = _text([line for line in expected.splitlines() if not line.endswith("NOT_FOUND")])
    return Probe(
        prompt,
        lambda a: [file_is(a, "summary.txt", expected)],
        good=files(*(read(n) for n in names), write("summary.txt", expected)),
        bad=files(*(read(n) for n in names), write("summary.txt", skipping)),
        files=present,
    )


def file_read_l3(rng: random.Random) -> Probe:
    """Extract a line range from a large file (too large to read in one go) into a new file."""
    total = rng.randint(1500, 2500)
    lines = [
        f"line {i:04d}: {rng.choice(NOUNS)} {rng.randint(100, 999)}" for i in range(1, total + 1)
    ]
    start, count = rng.randint(1000, total - 100), rng.randint(5, 12)
    want = _text(lines[start - 1 : start - 1 + count])
    prompt = (
        f"big.txt has {total} lines. Write lines {start} to {start + count - 1} of it (numbered"
        " from 1, both included), exactly as they are, to extract.txt."
    )
    return Probe(
        prompt,
        lambda a: [file_is(a, "extract.txt", want)],
        good=files(run(f"sed -n '{start},{start + count - 1}p' big.txt > extract.txt")),
        bad=files(run(f"sed -n '{start + 1},{start + count}p' big.txt > extract.txt")),
        files={"big.txt": _text(lines)},
    )


# -- tool.file.write --------------------------------------------------------------------------


def file_write_l1(rng: random.Random) -> Probe:
    """Create one file with exact multi-line content."""
    content = _text(_phrases(rng, rng.randint(3, 5)))
    prompt = f"Create a file named notes.txt with exactly this content:\n\n{content}"
    return Probe(
        prompt,
        lambda a: [file_is(a, "notes.txt", content)],
        good=files(write("notes.txt", content)),
        bad=files(write("notes.txt", _text(content.splitlines()[:-1]))),
    )


def file_write_l2(rng: random.Random) -> Probe:
    """Create a file with a long numbered list (15-50 lines) following a cycling word
    pattern."""
    n, words = rng.randint(15, 50), pick(rng, NOUNS, rng.randint(3, 5))
    content = _text([f"{k}. {words[(k - 1) % len(words)]}" for k in range(1, n + 1)])
    prompt = (
        f"Create list.txt with exactly {n} lines. Line k is `k. W` where W cycles through the"
        f" words {', '.join(words)} (line 1 uses {words[0]}, line 2 {words[1]}, and so on, starting"
        f" again with {words[0]} after {words[-1]})."
    )
    return Probe(
        prompt,
        lambda a: [file_is(a, "list.txt", content)],
        good=files(write("list.txt", content)),
        bad=files(write("list.txt", _text(content.splitlines()[:-1]))),
    )


def file_write_l3(rng: random.Random) -> Probe:
    """Create several files, some in subdirectories, each with its own exact content."""
    dirs = ["", "docs/", "src/app/"]
    wanted = {
        f"{rng.choice(dirs)}{w}.txt": _text(_phrases(rng, rng.randint(1, 3)))
        for w in pick(rng, NOUNS, rng.randint(3, 5))
    }
    spec = "\n\n".join(f"{path}:\n{content}" for path, content in wanted.items())
    prompt = (
        "Create these files (paths relative to the working directory) with exactly this"
        f" content:\n\n{spec}"
    )
    first = next(iter(wanted))
    misplaced = {
        ("other/" + first.rsplit("/", 1)[-1]) if k == first else k: v for k, v in wanted.items()
    }
    return Probe(
        prompt,
        lambda a: [file_is(a, path, content) for path, content in wanted.items()],
        good=files(*(write(p, c) for p, c in wanted.items())),
        bad=files(*(write(p, c) for p, c in misplaced.items())),
    )


# -- tool.exec --------------------------------------------------------------------------------


def exec_l1(rng: random.Random) -> Probe:
    """Run one shell command (count the lines of a long file) and save its result."""
    n = rng.randint(300, 900)
    data = _text([rng.choice(NOUNS) for _ in range(n)])
    prompt = (
        "Run a shell command to count the lines of data.txt, and write the count (just the"
        " number) to result.txt."
    )
    return Probe(
        prompt,
        lambda a: [number_in_file(a, "result.txt", n)],
        good=files(run("wc -l < data.txt > result.txt")),
        bad=files(run("grep -c . data.txt | awk '{print $1 - 1}' > result.txt")),
        files={"data.txt": data},
    )


def exec_l2(rng: random.Random) -> Probe:
    """Write a Python script computing an aggregate (sum, median or maximum) of a file,
    execute it, save the output."""
    nums = [rng.randint(1, 9999) for _ in range(rng.choice((51, 61, 71)))]
    what, value, code = rng.choice(
        (
            ("sum", sum(nums), "sum(nums)"),
            ("median", statistics.median(nums), "statistics.median(nums)"),
            ("maximum", max(nums), "max(nums)"),
        )
    )
    prompt = (
        f"Write a Python script compute.py that prints the {what} of the integers in input.txt"
        " (one per line). Run it and write its output to result.txt."
    )
    src = "import statistics\nnums = [int(x) for x in open('input.txt') if x.strip()]\nprint({})\n"

    def grade(a: Attempt) -> list[Check]:
        return [
            Check("compute.py exists", (a.workdir / "compute.py").is_file()),
            number_in_file(a, "result.txt", float(value)),
        ]

    return Probe(
        prompt,
        grade,
        good=files(write("compute.py", src.format(code)), run("python3 compute.py > result.txt")),
        bad=files(
            write("compute.py", src.format("statistics.mean(nums) + 1")),
            run("python3 compute.py > result.txt"),
        ),
        files={"input.txt": _text([str(n) for n in nums])},
    )


def exec_l3(rng: random.Random) -> Probe:
    """Run a three-step pipeline (sort, filter, count) leaving each intermediate file."""
    words = [rng.choice(NOUNS) + rng.choice(("", "s", "ed")) for _ in range(rng.randint(40, 70))]
    letter = rng.choice("aeiorn")
    ordered = sorted(words)
    kept = [w for w in ordered if letter in w]
    prompt = (
        "Run these three steps with shell commands: (1) sort the lines of words.txt"
        " alphabetically into sorted.txt; (2) write the lines of sorted.txt that contain the"
        f" letter '{letter}' to filtered.txt; (3) write the number of lines of filtered.txt to"
        " count.txt."
    )
    grade = lambda a: [  # noqa: E731
        file_is(a, "sorted.txt", _text(ordered)),
        file_is(a, "filtered.txt", _text(kept)),
        number_in_file(a, "count.txt", len(kept)),
    ]
    return Probe(
        prompt,
        grade,
        good=files(
            run("LC_ALL=C sort words.txt > sorted.txt"),
            run(f"grep '{letter}' sorted.txt > filtered.txt"),
            run("wc -l < filtered.txt > count.txt"),
        ),
        bad=files(
            run("LC_ALL=C sort words.txt > sorted.txt"),
            run(f"grep '{letter}' words.txt > filtered.txt"),
            run("wc -l < filtered.txt > count.txt"),
        ),
        files={"words.txt": _text(words)},
    )


# -- tool.call.format -------------------------------------------------------------------------


def _call_probe(
    fn: str, spec: str, arguments: Mapping[str, Any], wrong: Mapping[str, Any]
) -> Probe:
    prompt = (
        f"Reply with only a JSON object (no other text) representing a call of the function"
        f' `{fn}`, shaped {{"function": "{fn}", "arguments": {{...}}}}, with these arguments:\n'
        f"{spec}"
    )
    expected = {"function": fn, "arguments": arguments}
    return Probe(
        prompt,
        lambda a: [json_equal("call", a.answer, expected)],
        good=say(json.dumps(expected)),
        bad=say(json.dumps({"function": fn, "arguments": wrong})),
    )


def call_format_l1(rng: random.Random) -> Probe:
    """Reply with a JSON function call with simple string arguments matching exact values."""
    city, unit = rng.choice(NAMES) + "ville", rng.choice(("celsius", "fahrenheit"))
    args = {"city": city, "unit": unit}
    spec = f'- city: the string "{city}"\n- unit: the string "{unit}"'
    return _call_probe("get_weather", spec, args, {"location": city, "unit": unit})


def call_format_l2(rng: random.Random) -> Probe:
    """Reply with a JSON function call with nested arguments: arrays and sub-objects."""
    people = pick(rng, NAMES, rng.randint(2, 4))
    room, mins = rng.randint(100, 499), sorted(rng.sample((5, 10, 15, 30, 60), 2))
    args: dict[str, Any] = {
        "title": f"{rng.choice(NOUNS).title()} review",
        "attendees": people,
        "location": {"building": rng.choice(REGIONS).title(), "room": room},
        "reminders": mins,
    }
    spec = (
        f'- title: the string "{args["title"]}"\n'
        f"- attendees: an array of the strings {', '.join(people)} (in this order)\n"
        f'- location: an object with building the string "{args["location"]["building"]}"'
        f" and room the integer {room}\n"
        f"- reminders: an array of the integers {mins[0]} and {mins[1]}"
    )
    wrong = {**args, "location": {"building": args["location"]["building"], "room": str(room)}}
    return _call_probe("create_event", spec, args, wrong)


def call_format_l3(rng: random.Random) -> Probe:
    """Reply with a JSON function call with deep nesting, text needing escapes (quotes,
    backslashes, newlines, non-ASCII) and mixed types."""
    folder, word = rng.choice(NOUNS), rng.choice(NOUNS)
    note = f'He said "{word}" twice'
    path = f"C:\\data\\{folder}\\new"
    args: dict[str, Any] = {
        "query": {
            "filters": [
                {"field": "note", "equals": note},
                {"field": "path", "equals": path},
            ],
            "options": {
                "limit": rng.randint(2, 9),
                "score": rng.randint(1, 99) / 4,
                "strict": True,
                "cursor": None,
            },
        },
        "message": f"line one\nline two: café {word}",
    }
    spec = (
        "- query: an object with\n"
        "  - filters: an array of two objects:\n"
        f"    1. field the string `note`, equals the text between the markers >>>{note}<<<\n"
        f"    2. field the string `path`, equals the text between the markers >>>{path}<<<\n"
        f"  - options: an object with limit the integer {args['query']['options']['limit']},"
        f" score the number {args['query']['options']['score']}, strict the boolean true and"
        " cursor null\n"
        f"- message: two lines, `line one` and then `line two: café {word}`, joined by a newline"
    )
    doubled = json.loads(json.dumps(args))
    doubled["query"]["filters"][1]["equals"] = path.replace("\\", "\\\\")
    return _call_probe("search_records", spec, args, doubled)


# -- tool.call.batch --------------------------------------------------------------------------


def batch_l1(rng: random.Random) -> Probe:
    """Read two files and write their contents, concatenated in order, to one file."""
    p1, p2 = _phrases(rng, rng.randint(2, 4)), _phrases(rng, rng.randint(2, 4))
    prompt = (
        "Read part1.txt and part2.txt and write result.txt: the lines of part1.txt followed by"
        " the lines of part2.txt."
    )
    return Probe(
        prompt,
        lambda a: [file_is(a, "result.txt", _text(p1 + p2))],
        good=files(read("part1.txt"), read("part2.txt"), write("result.txt", _text(p1 + p2))),
        bad=files(read("part1.txt"), read("part2.txt"), write("result.txt", _text(p2 + p1))),
        files={"part1.txt": _text(p1), "part2.txt": _text(p2)},
    )


def batch_l2(rng: random.Random) -> Probe:
    """Read five files and write a per-file summary of their first words."""
    contents = {f"data{i}.txt": _text(_phrases(rng, rng.randint(1, 3))) for i in range(1, 6)}
    want = _text([f"{n}: {c.split()[0]}" for n, c in contents.items()])
    last = _text([f"{n}: {c.split()[-1]}" for n, c in contents.items()])
    prompt = (
        "Read data1.txt to data5.txt and write summary.txt with one line per file, in order:"
        " `dataK.txt: <the first word of that file>`."
    )
    return Probe(
        prompt,
        lambda a: [file_is(a, "summary.txt", want)],
        good=files(*(read(n) for n in contents), write("summary.txt", want)),
        bad=files(*(read(n) for n in contents), write("summary.txt", last)),
        files=contents,
    )


def batch_l3(rng: random.Random) -> Probe:
    """Read numbers from several files and compute a cross-file aggregate (sum, max or min)."""
    parts = [
        [rng.randint(-50, 500) for _ in range(rng.randint(3, 6))] for _ in range(rng.randint(3, 6))
    ]
    what, fn = rng.choice((("sum", sum), ("maximum", max), ("minimum", min)))
    everything = [x for p in parts for x in p]
    value = fn(everything)
    wrong = value + 1 if fn(parts[0]) == value else fn(parts[0])
    names = [f"values{i}.txt" for i in range(1, len(parts) + 1)]
    prompt = (
        f"The files {', '.join(names)} hold integers, one per line. Write the {what} of all the"
        " numbers across all these files (just the number) to result.txt."
    )
    return Probe(
        prompt,
        lambda a: [number_in_file(a, "result.txt", value)],
        good=files(*(read(n) for n in names), write("result.txt", f"{value}\n")),
        bad=files(*(read(n) for n in names), write("result.txt", f"{wrong}\n")),
        files={n: _text([str(x) for x in p]) for n, p in zip(names, parts, strict=True)},
    )


# -- tool.web ---------------------------------------------------------------------------------


def web_l1(rng: random.Random) -> Probe:
    """GET a JSON endpoint on a loopback server and save one field of the answer."""
    token = f"tok-{rng.randint(100000, 999999)}"
    service = rng.choice(NOUNS) + "-api"
    body = {"service": service, "token": token, "uptime": rng.randint(10, 9999)}
    prompt = (
        f"Fetch {BASE_URL}/api/status (it returns JSON) and write the value of its `token` field"
        " to token.txt."
    )
    return Probe(
        prompt,
        lambda a: [file_is(a, "token.txt", token)],
        good=files(fetch(f"{BASE_URL}/api/status"), write("token.txt", token)),
        bad=files(fetch(f"{BASE_URL}/api/status"), write("token.txt", service)),
        routes={"/api/status": lambda q: (200, body)},
    )


def web_l2(rng: random.Random) -> Probe:
    """GET a loopback API with query parameters and write the filtered result as JSON."""
    cats = ["tools", "books", "games"]
    items = [
        {"id": 100 + i, "name": rng.choice(NOUNS), "category": rng.choice(cats)} for i in range(18)
    ]
    category, limit = rng.choice(cats), rng.randint(2, 4)

    def endpoint(q: Mapping[str, list[str]]) -> tuple[int, object]:
        chosen = (
            [i for i in items if i["category"] == q.get("category", [None])[0]]
            if "category" in q
            else items
        )
        try:
            n = int(q.get("limit", ["10"])[0])
        except ValueError:
            return 400, {"error": "limit must be an integer"}
        return 200, {"total": len(chosen), "items": chosen[:n]}

    in_cat = [i for i in items if i["category"] == category]
    want = {"total": len(in_cat), "ids": [i["id"] for i in in_cat[:limit]]}
    unfiltered = {"total": len(items), "ids": [i["id"] for i in items[:limit]]}
    prompt = (
        f"The API at {BASE_URL}/api/items accepts the query parameters `category` and `limit`."
        f" Fetch the items of category {category} with limit {limit}, then write result.json:"
        ' {"total": <the total field of the answer>, "ids": [<the ids of the returned items, in'
        " order>]}."
    )
    url = f"{BASE_URL}/api/items?category={category}&limit={limit}"
    return Probe(
        prompt,
        lambda a: [json_equal("result.json", text_of(a, "result.json"), want)],
        good=files(fetch(url), write("result.json", json.dumps(want))),
        bad=files(
            fetch(f"{BASE_URL}/api/items?limit={limit}"),
            write("result.json", json.dumps(unfiltered)),
        ),
        routes={"/api/items": endpoint},
    )


def web_l3(rng: random.Random) -> Probe:
    """Fetch every page of a paginated loopback API and write the merged items."""
    pages = [
        [rng.choice(NOUNS) + str(rng.randint(1, 99)) for _ in range(3)]
        for _ in range(rng.randint(3, 4))
    ]

    def endpoint(q: Mapping[str, list[str]]) -> tuple[int, object]:
        try:
            page = int(q.get("page", ["1"])[0])
        except ValueError:
            return 400, {"error": "page must be an integer"}
        if not 1 <= page <= len(pages):
            return 404, {"error": f"no page {page}"}
        nxt = page + 1 if page < len(pages) else None
        return 200, {
            "page": page,
            "items": [{"name": n} for n in pages[page - 1]],
            "next_page": nxt,
        }

    everything = [n for p in pages for n in p]
    prompt = (
        f"{BASE_URL}/api/records?page=1 returns the first page of a paginated JSON API; each"
        " answer has `items` (objects with a `name`) and `next_page` (the next page number, or"
        " null on the last page). Fetch all pages and write all.json: a JSON array of the names"
        " of all items, in page order."
    )
    return Probe(
        prompt,
        lambda a: [json_equal("all.json", text_of(a, "all.json"), everything)],
        good=files(
            *(fetch(f"{BASE_URL}/api/records?page={i}") for i in range(1, len(pages) + 1)),
            write("all.json", json.dumps(everything)),
        ),
        bad=files(fetch(f"{BASE_URL}/api/records?page=1"), write("all.json", json.dumps(pages[0]))),
        routes={"/api/records": endpoint},
    )


# -- tool.browser -----------------------------------------------------------------------------


def _page(body: str) -> str:
    return (
        f"<!DOCTYPE html>\n<html><head><title>Page</title></head><body>\n{body}\n</body></html>\n"
    )


def browser_l1(rng: random.Random) -> Probe:
    """Extract the text of the element with a given id from an HTML file."""
    ids = pick(rng, NOUNS, 4)
    texts = {i: " ".join(_phrases(rng, 1)) for i in ids}
    target = rng.choice(ids)
    body = "\n".join(f'<div class="card"><p id="{i}">{t}</p></div>' for i, t in texts.items())
    other = next(i for i in ids if i != target)
    return Probe(
        f"In page.html, find the element with id `{target}` and write its text to answer.txt.",
        lambda a: [file_is(a, "answer.txt", texts[target])],
        good=files(read("page.html"), write("answer.txt", texts[target])),
        bad=files(read("page.html"), write("answer.txt", texts[other])),
        files={"page.html": _page(body)},
    )


def browser_l2(rng: random.Random) -> Probe:
    """Parse an HTML table and write its rows (header first) as CSV."""
    header = ["name", "city", "score"]
    rows = [
        [n, rng.choice(NOUNS).title(), str(rng.randint(1, 100))]
        for n in pick(rng, NAMES, rng.randint(3, 5))
    ]
    head = "<tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr>"
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    table = (
        f'<h2>Results</h2>\n<table id="results">\n<thead>{head}</thead>\n'
        f"<tbody>{body}</tbody>\n</table>"
    )
    csv_text = _text([",".join(r) for r in [header, *rows]])
    return Probe(
        "page.html contains a table. Write its rows to rows.csv as comma-separated values: the"
        " header row first, then one line per data row, without quotes.",
        lambda a: [file_is(a, "rows.csv", csv_text)],
        good=files(read("page.html"), write("rows.csv", csv_text)),
        bad=files(read("page.html"), write("rows.csv", _text([",".join(r) for r in rows]))),
        files={"page.html": _page(table)},
    )


def browser_l3(rng: random.Random) -> Probe:
    """Follow next-page links through several HTML pages and collect their list items, sorted."""
    n = rng.randint(3, 4)
    pages = [
        [rng.choice(NOUNS) + str(rng.randint(1, 99)) for _ in range(rng.randint(2, 4))]
        for _ in range(n)
    ]
    html = {}
    for i, items in enumerate(pages, start=1):
        lis = "".join(f"<li>{x}</li>" for x in items)
        nxt = f'<a class="next" href="page{i + 1}.html">Next</a>' if i < n else ""
        nav = '<ul class="nav"><li>Home</li><li>About</li></ul>'
        html[f"page{i}.html"] = _page(f'{nav}\n<ul id="items">{lis}</ul>\n{nxt}')
    everything = sorted(x for p in pages for x in p)
    prompt = (
        "Start at page1.html and follow the `Next` links from page to page until the last page."
        ' Collect the li items of the list with id "items" on every page, and write items.json:'
        " a JSON array of all collected items, sorted alphabetically."
    )
    return Probe(
        prompt,
        lambda a: [json_equal("items.json", text_of(a, "items.json"), everything)],
        good=files(
            *(read(f"page{i}.html") for i in range(1, n + 1)),
            write("items.json", json.dumps(everything)),
        ),
        bad=files(read("page1.html"), write("items.json", json.dumps(sorted(pages[0])))),
        files=html,
    )


GENERATORS = (
    Generator.of("tool.file.read", 1, file_read_l1),
    Generator.of("tool.file.read", 2, file_read_l2),
    Generator.of("tool.file.read", 3, file_read_l3),
    Generator.of("tool.file.write", 1, file_write_l1),
    Generator.of("tool.file.write", 2, file_write_l2),
    Generator.of("tool.file.write", 3, file_write_l3),
    Generator.of("tool.exec", 1, exec_l1),
    Generator.of("tool.exec", 2, exec_l2),
    Generator.of("tool.exec", 3, exec_l3),
    Generator.of("tool.call.format", 1, call_format_l1),
    Generator.of("tool.call.format", 2, call_format_l2),
    Generator.of("tool.call.format", 3, call_format_l3),
    Generator.of("tool.call.batch", 1, batch_l1),
    Generator.of("tool.call.batch", 2, batch_l2),
    Generator.of("tool.call.batch", 3, batch_l3),
    Generator.of("tool.web", 1, web_l1),
    Generator.of("tool.web", 2, web_l2),
    Generator.of("tool.web", 3, web_l3),
    Generator.of("tool.browser", 1, browser_l1),
    Generator.of("tool.browser", 2, browser_l2),
    Generator.of("tool.browser", 3, browser_l3),
)
