"""The concrete text pass 1 adds: one renderer per (primitive, required level) for
compensation, one per alternative path for substitution.

Each renderer gets the evidence that raised the demand and returns the sentence to add (placed
by ``compiler.edits.place_sentence``), a ``Placement`` of its own, or ``None`` when it has nothing
concrete to say about that evidence (then the gap stays as planned but unedited). Sentences are
short, specific to the evidence, and never a heading.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from compiler.edits import Placement, place_after_list
from compiler.harness import HarnessFacts
from compiler.levels import Level
from compiler.markdown import Document
from compiler.scr import Evidence
from compiler.skill import SkillSource
from compiler.tcp import TCP

L1, L2, L3 = Level.L1, Level.L2, Level.L3


@dataclass(frozen=True, slots=True)
class RenderContext:
    skill: SkillSource
    doc: Document
    tcp: TCP
    harness: HarnessFacts

    def can(self, primitive: str, level: Level) -> bool:
        have = self.tcp.level(primitive)
        return have is not None and have >= level

    @property
    def can_run_python(self) -> bool:
        return self.can("tool.exec", L1) and self.can("gen.code.python", L1)


Rendered = str | Placement | None
Renderer = Callable[[RenderContext, Evidence], Rendered]


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text else f"``{text}``"


# -- library and module call patterns (checked against each library's documented API) -------

LIBRARY_PATTERNS: dict[str, str] = {
    "pandas": "`import pandas as pd`, `df = pd.read_csv(path)`, "
    '`df.groupby("col")["value"].sum()`, `df.to_csv(out_path, index=False)`',
    "numpy": "`import numpy as np`, `arr = np.array(values)`, `arr.mean()`, `np.round(x, 2)`",
    "openpyxl": "`from openpyxl import load_workbook, Workbook`; read with "
    "`ws = load_workbook(path, data_only=True).active` and "
    "`for row in ws.iter_rows(values_only=True): ...`; write with `wb = Workbook()`, "
    "`wb.active.append([...])`, `wb.save(path)`",
    "xlsxwriter": "`import xlsxwriter`, `wb = xlsxwriter.Workbook(path)`, "
    "`ws = wb.add_worksheet()`, `ws.write(row, col, value)`, `wb.close()`",
    "docx": "`from docx import Document`, `doc = Document()` (or `Document(path)` to open one), "
    "`doc.add_heading(text, level=1)`, `doc.add_paragraph(text)`, `doc.save(path)`; read text with "
    "`[p.text for p in Document(path).paragraphs]`",
    "pptx": "`from pptx import Presentation`, `prs = Presentation()`, "
    "`slide = prs.slides.add_slide(prs.slide_layouts[1])`, `slide.shapes.title.text = title`, "
    "`slide.placeholders[1].text = body`, `prs.save(path)`",
    "pypdf": "`from pypdf import PdfReader`, "
    '`text = "\\n".join(page.extract_text() or "" for page in PdfReader(path).pages)`',
    "pdfplumber": "`import pdfplumber`, `with pdfplumber.open(path) as pdf:` then "
    "`pdf.pages[0].extract_text()` or `pdf.pages[0].extract_tables()`",
    "fitz": "`import fitz`, `doc = fitz.open(path)`, `text = doc[0].get_text()`",
    "matplotlib": '`import matplotlib`, `matplotlib.use("Agg")`, '
    '`import matplotlib.pyplot as plt`, `plt.plot(xs, ys)`, `plt.savefig("chart.png")`',
    "yaml": "`import yaml`, `data = yaml.safe_load(open(path))`, "
    '`yaml.safe_dump(data, open(out_path, "w"))`',
    "PIL": "`from PIL import Image`, `img = Image.open(path)`, `img.resize((w, h)).save(out_path)`",
    "requests": "`resp = requests.get(url, timeout=10)`, `resp.raise_for_status()`, "
    "`data = resp.json()`",
    "httpx": "`resp = httpx.get(url, timeout=10)`, `resp.raise_for_status()`, `data = resp.json()`",
    "bs4": '`from bs4 import BeautifulSoup`, `soup = BeautifulSoup(html, "html.parser")`, '
    '`soup.select("table tr")`, `tag.get_text(strip=True)`',
    "scipy": "`from scipy import stats`, `stats.ttest_ind(a, b)` returns `(statistic, pvalue)`",
    "sklearn": "`from sklearn.linear_model import LinearRegression`, "
    "`model = LinearRegression().fit(X, y)`, `model.predict(X_new)`",
    "reportlab": "`from reportlab.pdfgen import canvas`, `c = canvas.Canvas(path)`, "
    "`c.drawString(72, 720, text)`, `c.save()`",
}

LIBRARY_PURPOSE: dict[str, str] = {
    "openpyxl": "To read or write .xlsx files in Python",
    "xlsxwriter": "To write .xlsx files in Python",
    "docx": "To read or write .docx files in Python (python-docx)",
    "pptx": "To build .pptx files in Python (python-pptx)",
    "pypdf": "To extract text from a PDF in Python",
    "pdfplumber": "To read PDF text or tables in Python",
    "fitz": "To read PDFs in Python (PyMuPDF)",
}
# A call that shows the skill already spells the pattern out (then nothing is added).
LIBRARY_MARKERS: dict[str, str] = {
    "pandas": "pd.read_",
    "numpy": "np.array(",
    "openpyxl": "load_workbook(",
    "xlsxwriter": "add_worksheet(",
    "docx": "Document(",
    "pptx": "Presentation(",
    "pypdf": "PdfReader(",
    "pdfplumber": "pdfplumber.open(",
    "fitz": "fitz.open(",
    "matplotlib": "savefig(",
    "yaml": "safe_load(",
    "PIL": "Image.open(",
    "requests": "requests.get(",
    "httpx": "httpx.get(",
    "bs4": "BeautifulSoup(",
    "scipy": "stats.",
    "sklearn": ".fit(",
    "reportlab": "canvas.Canvas(",
}

STDLIB_PATTERNS: dict[str, str] = {
    "json": "`data = json.load(open(path))` to read and "
    '`json.dump(data, open(out_path, "w"), indent=2)` to write',
    "csv": '`rows = list(csv.DictReader(open(path, newline="")))` gives one dict per row',
    "re": '`re.findall(r"pattern", text)` returns every match as a list',
    "datetime": '`datetime.strptime(s, "%Y-%m-%d")` to parse and '
    '`d.strftime("%Y%m%dT%H%M%S")` to format',
    "pathlib": "`Path(path).read_text()` to read and `Path(out_path).write_text(text)` to write",
    "os": "`os.listdir(folder)` to list files and `os.path.join(folder, name)` to build paths",
    "urllib": "`json.loads(urlopen(url, timeout=10).read())` "
    "(`from urllib.request import urlopen`)",
    "subprocess": '`subprocess.run(["cmd", "arg"], capture_output=True, text=True).stdout`',
    "sqlite3": "`con = sqlite3.connect(path)`, `con.execute(sql, params).fetchall()`",
    "statistics": "`statistics.mean(values)`, `statistics.median(values)`",
    "collections": "`Counter(items).most_common(5)` for the five most frequent items",
}
STDLIB_MARKERS: dict[str, str] = {
    "json": "json.load",
    "csv": "csv.",
    "re": "re.",
    "datetime": "strptime(",
    "pathlib": "Path(",
    "urllib": "urlopen(",
    "subprocess": "subprocess.run(",
    "sqlite3": "sqlite3.connect(",
    "statistics": "statistics.",
    "collections": "Counter(",
}

FINANCIAL_FORMULAS: tuple[tuple[str, str], ...] = (
    (r"ltv\s*[:/]\s*cac", "LTV = ARPA × gross margin ÷ churn rate, then LTV:CAC = LTV ÷ CAC"),
    (r"cagr", "CAGR = (end value ÷ start value)^(1 ÷ years) − 1"),
    (r"npv|net present value", "NPV = Σ cash flowₜ ÷ (1 + r)ᵗ over t = 0…n"),
    (r"compound", "A = P × (1 + r ÷ n)^(n × t) for principal P, rate r, n periods a year, t years"),
    (r"payback", "payback (months) = CAC ÷ (monthly ARPA × gross margin)"),
    (r"amorti", "payment = P × r ÷ (1 − (1 + r)^−n) for principal P, period rate r, n periods"),
)

TONE_HINTS: dict[str, str] = {
    "formal": "no contractions, no slang, full sentences",
    "casual": "short sentences, contractions, everyday words",
    "conversational": 'short sentences, contractions, and "you"',
    "friendly": 'warm, plain words and "you"',
    "professional": "plain, precise words and no slang",
    "authoritative": "direct statements without hedging",
    "playful": "light, informal words and short sentences",
}


# -- compensation renderers -------------------------------------------------------------------


def _read_one_at_a_time(ctx: RenderContext, ev: Evidence) -> Rendered:
    path = ev.detail.get("path")
    files = ev.detail.get("files") or []
    if ev.rule == "bundle.read" and isinstance(path, str):
        if ctx.doc.table_at(ev.span.start_line - 1) is not None or _in_reference_list(ctx, ev):
            return (
                "Open one of these files at a time, by its exact path, and only when a step needs "
                "it."
            )
        missing = "" if ev.detail.get("exists") else "; if it does not exist, carry on without it"
        if int(ev.detail.get("on_line", 1)) >= 2:
            prose = re.sub(r"`[^`]*`", "", ev.span.quote)
            if re.search(r"\bor\b", prose) and "exist" in prose:
                return (
                    "Check these paths one at a time, in the order given, and read only the first "
                    "one that exists; if none does, carry on without it."
                )
            return "Open each of these on its own, by its exact path, only when you need it."
        if path in ev.span.quote:
            return f"Open it on its own, by that exact path, only when you need it{missing}."
        return f"Open `{path}` on its own, by that exact path, only when you need it{missing}."
    if ev.rule == "read.multi":
        return (
            "Read them one at a time, by exact path, and finish with one file before opening the "
            "next."
        )
    if len(files) >= 2:
        return "Open one file at a time, by its exact path."
    return None


def _in_reference_list(ctx: RenderContext, ev: Evidence) -> bool:
    item = ctx.doc.item_at(ev.span.start_line - 1)
    if item is None:
        return False
    siblings = [
        i
        for i in ctx.doc.list_items
        if abs(i.line - item.line) <= 4
        and ("`" in i.text or "](" in i.text)
        and i.indent == item.indent
    ]
    return len(siblings) >= 3


def _read_in_parts(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "Read a large file in parts of about 200 lines (give the start line and the count) rather "
        "than whole."
    )


def _write_files_in_order(ctx: RenderContext, ev: Evidence) -> Rendered:
    files = [f for f in ev.detail.get("files", []) if isinstance(f, str)]
    if files:
        shown = ", ".join(_code(f) for f in files[:6]) + (", and so on" if len(files) > 6 else "")
        return (
            f"Create the files one per write, in this order: {shown}; check that each exists "
            "before writing the next."
        )
    return "Write them one file at a time, and check that each exists before starting the next."


def _write_in_chunks(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "Write it in parts under 1 KB: create the file with the first part, then append the rest "
        "part by part."
    )


def _long_in_small_parts(ctx: RenderContext, ev: Evidence) -> Rendered:
    if ev.rule == "template.document":
        return (
            "Write the document section by section: create the file with the first section, then "
            "append each following section in its own write of at most about 150 words, keeping "
            "every heading of the template."
        )
    if ev.rule == "size.words":
        words = ev.detail.get("words")
        return (
            f"Produce the {words} words in parts of about 150 words, appending each part to the "
            f"file."
        )
    return (
        "Write it one section at a time, each part at most about 150 words, appending each to the "
        "file as you go."
    )


def _long_in_parts(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "Produce it in parts of at most about 800 words: write the first part, then continue from "
        "the last completed heading in the next write until every section is done."
    )


def _structured_by_key(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "Fill it one top-level key at a time, and close each nested object before starting the "
        "next key."
    )


def _structured_copy(ctx: RenderContext, ev: Evidence) -> Rendered:
    if ev.rule.startswith("structured."):
        return (
            "Copy the structure of this example exactly and change only the values; add no extra "
            "nesting."
        )
    return None


def _arith_explicit(ctx: RenderContext, ev: Evidence) -> Rendered:
    quote = ev.span.quote.lower()
    for pattern, formula in FINANCIAL_FORMULAS:
        if re.search(pattern, quote):
            return f"Compute it step by step and write each intermediate value down: {formula}."
    return (
        "Work it out in steps, writing each intermediate value with its formula before the final "
        "figure."
    )


def _weights_formula(weights: list[list[object]] | list[tuple[str, int]]) -> str:
    terms = []
    for label, pct in weights:
        name = re.sub(r"[^a-z0-9]+", "_", str(label).lower()).strip("_") or "x"
        terms.append(f"{int(str(pct)) / 100:.2f} × {name}")
    return "score = " + " + ".join(terms)


def _arith_single_steps(ctx: RenderContext, ev: Evidence) -> Rendered:
    by_code = (
        ' (or with a one-line `python3 -c "print(...)"` command)' if ctx.can_run_python else ""
    )
    weights = ev.detail.get("weights")
    if ev.rule == "arith.weights" and weights:
        return f"Compute it as {_weights_formula(weights)}, one term at a time{by_code}."
    return (
        "Do the calculation one operation at a time and write each intermediate result "
        f"down{by_code}."
    )


def _logic_enumerate(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "List the options that satisfy every constraint first, then pick the best one from that "
        "list."
    )


def _logic_chain(ctx: RenderContext, ev: Evidence) -> Rendered:
    return "Check the constraints one at a time, dropping the options that fail each check."


def _spatial_formula(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "Use the haversine formula: d = 2R·asin(√(sin²(Δφ/2) + cos φ₁·cos φ₂·sin²(Δλ/2))), with "
        "R = 6371 km and angles in radians."
    )


def _spatial_basic(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "Use explicit formulas: a rectangle's area is width × height, a triangle's is "
        "½·|x₁(y₂−y₃) + x₂(y₃−y₁) + x₃(y₁−y₂)|."
    )


_WALK_TREE = (
    "Walk the decision tree from the top, answering one question at a time, and stop at the first "
    "outcome it reaches."
)


def _planning_fallbacks(ctx: RenderContext, ev: Evidence) -> Rendered:
    if ev.rule != "plan.branches":
        return None
    if "decision tree" in str(ev.detail.get("match", "")).lower():
        return _WALK_TREE
    target = re.search(r"fall ?back (?:to|on) ([^.;,\n]{3,40})", ev.span.quote, re.I)
    named = f" ({target.group(1).strip().rstrip('*').strip()})" if target else ""
    return f"Know the fallback{named} before you start, so that a failure leads straight to it."


def _planning_linear(ctx: RenderContext, ev: Evidence) -> Rendered:
    if ev.rule != "plan.decompose":
        return None
    return (
        "Split it into at most five sub-tasks, write them down in order, and do them one after "
        "another."
    )


def _analysis_narrow(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "Start from the file and line named in the error and follow the calls from there, one "
        "file at a time."
    )


def _analysis_snippets(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "Look at one function at a time, quoting just that snippet, and note any problem before "
        "moving on."
    )


def _procedure_bounded(ctx: RenderContext, ev: Evidence) -> Rendered:
    loops = ev.detail.get("loops") or []
    if ev.rule != "steps.procedure" or not loops:
        return None
    step = loops[0]
    return (
        f"Repeat step {step} at most 3 times, stopping as soon as its check passes; if it still "
        "fails after that, say so."
    )


def _procedure_common_path(ctx: RenderContext, ev: Evidence) -> Rendered:
    if ev.rule != "steps.procedure":
        return None
    n = ev.detail.get("steps")
    branches = ev.detail.get("branches") or []
    if branches:
        which = ", ".join(str(b) for b in branches[:3])
        noun = "step" if len(branches) == 1 else "steps"
        return (
            f"Take the common path first: do steps 1–{n} in order, and apply the condition in "
            f"{noun} {which} only when it holds."
        )
    return None  # a plain numbered list gains nothing from being told to go in order


def _format_one_rule_at_a_time(ctx: RenderContext, ev: Evidence) -> Rendered:
    return "Write the content first, then check the format rules one at a time and fix each."


def _format_exact_template(ctx: RenderContext, ev: Evidence) -> Rendered:
    if ev.rule == "template.placeholders":
        return "Copy this template exactly and replace only the bracketed placeholders."
    if ev.rule == "format.ics":
        return "Copy the structure shown exactly and change only the values."
    if ev.rule == "format.template":
        return "Copy the template exactly and fill in only its placeholders."
    return None


def _constraints_post_check(ctx: RenderContext, ev: Evidence) -> Rendered:
    rules = ev.detail.get("rules") or []
    if len(rules) < 3:
        return None
    sentence = (
        f"Before finishing, check the result once more against each of the {len(rules)} rules in "
        "this section."
    )
    return place_after_list(ctx.doc, ev.span.start_line - 1, ev.span.end_line - 1, sentence)


def _style_reminders(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "Work through it a few paragraphs at a time, and re-check the voice described here before "
        "each new part."
    )


def _style_simple(ctx: RenderContext, ev: Evidence) -> Rendered:
    match = str(ev.detail.get("match", "")).lower()
    for tone, hint in TONE_HINTS.items():
        if tone in match:
            return f"Concretely, a {tone} tone here means {hint}."
    if "brand voice" in match or "voice" in match:
        return (
            "Write down three words that describe the voice, and check each paragraph against them."
        )
    return None


def _delegate_template(ctx: RenderContext, ev: Evidence) -> Rendered:
    if not ctx.can_run_python:
        return None
    return (
        'Do it in code rather than in your head, e.g. `python3 -c "print(...)"` with the numbers '
        "filled in."
    )


def _delegate_mark(ctx: RenderContext, ev: Evidence) -> Rendered:
    return "Use a script for every count, sum and date calculation here."


def _exec_split_chain(ctx: RenderContext, ev: Evidence) -> Rendered:
    command = ev.detail.get("command")
    if ev.rule == "shell.chain" and isinstance(command, str):
        parts = [p.strip() for p in _split_unquoted(command, "&&") if p.strip()]
        if len(parts) >= 2:
            shown = ", then ".join(_code(p) for p in parts[:4])
            return (
                f"If the chained command fails, run its parts one at a time: {shown}, checking "
                f"each result."
            )
    if ev.rule == "exec.script":
        return "Write one script at a time, run it, and check its output before writing the next."
    return None


def _exec_exact_command(ctx: RenderContext, ev: Evidence) -> Rendered:
    if ev.rule == "exec.script":
        return "Save it as `script.py` and run exactly `python3 script.py`."
    return None


def _batch_per_result(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "Note what each source says on its own first, then combine those notes in a separate step."
    )


def _batch_two_at_a_time(ctx: RenderContext, ev: Evidence) -> Rendered:
    return "Read them two at a time rather than all at once."


def _web_single_page(ctx: RenderContext, ev: Evidence) -> Rendered:
    return "Ask for the largest page size the API allows, and query one API at a time."


def _web_exact_url(ctx: RenderContext, ev: Evidence) -> Rendered:
    if ev.rule == "shell.query":
        return None  # the command already names the exact URL
    url = ev.detail.get("url")
    if isinstance(url, str):
        return (
            f"Request exactly {_code(url.rstrip('.,;'))} and take only the field you need from "
            f"the response."
        )
    return None


def _browser_auth_first(ctx: RenderContext, ev: Evidence) -> Rendered:
    return "Log in first, then do each page action as a separate step."


def _library_for(ev: Evidence) -> str | None:
    lib = ev.detail.get("library")
    return lib if isinstance(lib, str) else None


def _python_library_pattern(ctx: RenderContext, ev: Evidence) -> Rendered:
    lib = _library_for(ev)
    if lib is None or lib not in LIBRARY_PATTERNS:
        return None
    if LIBRARY_MARKERS.get(lib, "\0") in ctx.skill.skill_md:
        return None  # the skill already shows how
    lead = LIBRARY_PURPOSE.get(lib, f"The basic `{lib}` calls")
    sentence = f"{lead}: {LIBRARY_PATTERNS[lib]}."
    if ev.rule.startswith("format."):
        # A file-format fact in a list: the call pattern reads best after the list.
        return place_after_list(ctx.doc, ev.span.start_line - 1, ev.span.end_line - 1, sentence)
    return sentence


def _python_stdlib_pattern(ctx: RenderContext, ev: Evidence) -> Rendered:
    module = ev.detail.get("module")
    if not isinstance(module, str) or module not in STDLIB_PATTERNS:
        return None
    if STDLIB_MARKERS[module] in ctx.skill.skill_md:
        return None
    return f"With `{module}`: {STDLIB_PATTERNS[module]}."


_TOOL_ALTERNATIVES: dict[str, str] = {
    "awk": "If the `awk` program gives trouble, loop over the lines instead: "
    "`while IFS= read -r line; do ...; done < input.txt`.",
    "gawk": "If the `gawk` program gives trouble, loop over the lines instead: "
    "`while IFS= read -r line; do ...; done < input.txt`.",
    "xargs": "Instead of `xargs`, a plain loop does the same: "
    '`... | while IFS= read -r item; do <command> "$item"; done`.',
    "sed": "If the `sed` expression gives trouble, make one substitution per command and check the "
    "output after each.",
    "jq": "If the `jq` filter gives trouble, extract one field per command "
    "(e.g. `jq '.field' file.json`) and combine the results afterwards.",
    "perl": "If the `perl` one-liner gives trouble, do the same edit one line at a time in "
    "a shell loop.",
}


def _shell_simpler_tools(ctx: RenderContext, ev: Evidence) -> Rendered:
    tool = ev.detail.get("tool")
    if isinstance(tool, str) and tool in _TOOL_ALTERNATIVES:
        return _TOOL_ALTERNATIVES[tool]
    return None


def _shell_one_per_step(ctx: RenderContext, ev: Evidence) -> Rendered:
    command = ev.detail.get("command")
    if ev.rule != "shell.pipes" or not isinstance(command, str):
        return None
    stages = [s.strip() for s in _split_unquoted(command, "|") if s.strip()]
    if len(stages) < 2 or any("||" in s or "&&" in s for s in stages) or len(stages) > 4:
        return None
    steps = []
    for n, stage in enumerate(stages, start=1):
        out = f" > step{n}.txt" if n < len(stages) else ""
        src = f" < step{n - 1}.txt" if n > 1 else ""
        if n > 1 and re.search(r"(?<![<>])\s[<>]", stage):
            return None
        steps.append(_code(f"{stage}{src}{out}"))
    return (
        "Run it one command at a time, keeping each result in a file: "
        + ", then ".join(steps)
        + "."
    )


def _split_unquoted(command: str, sep: str) -> list[str]:
    out, current, quote = [], [], ""
    i = 0
    while i < len(command):
        ch = command[i]
        if quote:
            if ch == quote:
                quote = ""
            current.append(ch)
        elif ch in "'\"":
            quote = ch
            current.append(ch)
        elif command.startswith(sep, i) and not (sep == "|" and command.startswith("||", i)):
            out.append("".join(current))
            current = []
            i += len(sep)
            continue
        elif sep == "|" and command.startswith("||", i):
            current.append("||")
            i += 2
            continue
        else:
            current.append(ch)
        i += 1
    out.append("".join(current))
    return out


def _fence_body(ctx: RenderContext, ev: Evidence) -> str:
    fence = ctx.doc.fence_at(ev.span.start_line - 1)
    return fence.body if fence is not None else ev.span.quote


def _sql_temp_table(ctx: RenderContext, ev: Evidence) -> Rendered:
    body = _fence_body(ctx, ev)
    if re.search(r"\bRECURSIVE\b", body, re.I) or not re.search(r"\bWITH\b", body, re.I):
        return None  # a recursive CTE has no temp-table equivalent
    return (
        "If the `WITH` query gives trouble, run the inner query first into a temporary table "
        "(`CREATE TEMP TABLE t AS SELECT ...`), then query `t`."
    )


def _sql_single_table(ctx: RenderContext, ev: Evidence) -> Rendered:
    if not re.search(r"\bJOIN\b", _fence_body(ctx, ev), re.I):
        return None
    return (
        "If a JOIN gives trouble, query one table at a time: collect the ids from the first, then "
        "filter the second with `WHERE id IN (...)`."
    )


def _html_simple_shapes(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "Prefer simple shapes (`rect`, `circle`, `line`) over long `path` data, and give each "
        "interactive element an explicit `aria-label`."
    )


def _html_copy_structure(ctx: RenderContext, ev: Evidence) -> Rendered:
    if ev.rule != "html.block":
        return None
    return "Copy the structure of this example and change only the text."


def _js_sync(ctx: RenderContext, ev: Evidence) -> Rendered:
    if not ev.detail.get("node"):
        return None
    return (
        "For a script that runs once, synchronous calls (`fs.readFileSync`, `fs.writeFileSync`) "
        "are simpler than `await`."
    )


def _js_fs_only(ctx: RenderContext, ev: Evidence) -> Rendered:
    if not ev.detail.get("node"):
        return None
    return (
        "Only the built-in `fs` module is needed: `const fs = require('fs')`, then "
        "`fs.readFileSync(path, "
        "'utf8')`."
    )


def _regex_broad_then_filter(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "If the lookaround is hard to get right, match broadly first and filter the matches with "
        "a plain string check."
    )


def _regex_in_sequence(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "Apply simple patterns one after another rather than one pattern with groups and "
        "alternation."
    )


def _prose_standalone_sections(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "Write each section so that it stands on its own under its heading; no transitions between "
        "sections are needed."
    )


def _prose_topic_sentences(ctx: RenderContext, ev: Evidence) -> Rendered:
    return "Give each paragraph a clear topic sentence and keep to one point per paragraph."


def _call_format_flat(ctx: RenderContext, ev: Evidence) -> Rendered:
    return "Pass flat arguments (strings and numbers); write any nested value as a JSON string."


COMPENSATIONS: dict[tuple[str, Level], Renderer] = {
    ("gen.code.python", L3): _python_library_pattern,
    ("gen.code.python", L2): _python_stdlib_pattern,
    ("gen.code.javascript", L3): _js_sync,
    ("gen.code.javascript", L2): _js_fs_only,
    ("gen.code.shell", L3): _shell_simpler_tools,
    ("gen.code.shell", L2): _shell_one_per_step,
    ("gen.code.sql", L3): _sql_temp_table,
    ("gen.code.sql", L2): _sql_single_table,
    ("gen.code.html", L3): _html_simple_shapes,
    ("gen.code.html", L2): _html_copy_structure,
    ("gen.text.structured", L3): _structured_by_key,
    ("gen.text.structured", L2): _structured_copy,
    ("gen.text.long", L3): _long_in_parts,
    ("gen.text.long", L2): _long_in_small_parts,
    ("gen.text.prose", L3): _prose_standalone_sections,
    ("gen.text.prose", L2): _prose_topic_sentences,
    ("gen.regex", L3): _regex_broad_then_filter,
    ("gen.regex", L2): _regex_in_sequence,
    ("reason.arithmetic", L3): _arith_explicit,
    ("reason.arithmetic", L2): _arith_single_steps,
    ("reason.logic", L3): _logic_enumerate,
    ("reason.logic", L2): _logic_chain,
    ("reason.spatial", L3): _spatial_formula,
    ("reason.spatial", L2): _spatial_basic,
    ("reason.planning", L3): _planning_fallbacks,
    ("reason.planning", L2): _planning_linear,
    ("reason.analysis", L3): _analysis_narrow,
    ("reason.analysis", L2): _analysis_snippets,
    ("tool.file.read", L3): _read_in_parts,
    ("tool.file.read", L2): _read_one_at_a_time,
    ("tool.file.write", L3): _write_files_in_order,
    ("tool.file.write", L2): _write_in_chunks,
    ("tool.exec", L3): _exec_split_chain,
    ("tool.exec", L2): _exec_exact_command,
    ("tool.call.format", L3): _call_format_flat,
    ("tool.call.format", L2): _call_format_flat,
    ("tool.call.batch", L3): _batch_per_result,
    ("tool.call.batch", L2): _batch_two_at_a_time,
    ("tool.web", L3): _web_single_page,
    ("tool.web", L2): _web_exact_url,
    ("tool.browser", L3): _browser_auth_first,
    ("follow.format", L3): _format_one_rule_at_a_time,
    ("follow.format", L2): _format_exact_template,
    ("follow.constraint", L2): _constraints_post_check,
    ("follow.procedure", L3): _procedure_bounded,
    ("follow.procedure", L2): _procedure_common_path,
    ("follow.delegation", L3): _delegate_mark,
    ("follow.delegation", L2): _delegate_template,
    ("follow.style", L3): _style_reminders,
    ("follow.style", L2): _style_simple,
}


# -- substitution renderers -------------------------------------------------------------------


def _sub_structured(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "Rather than typing this out, build it as a dict in a short Python script and write it "
        "with `json.dump(data, f, indent=2, ensure_ascii=False)`."
    )


def _sub_shell_python(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "If the shell pipeline gives trouble, do the same processing in a short Python script: "
        "read the input, loop over its lines, write the result."
    )


def _sub_browser_fetch(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "Without a browser, fetch the page's HTML (e.g. `curl -sL URL`) and extract the text from "
        "it instead."
    )


def _sub_arith_code(ctx: RenderContext, ev: Evidence) -> Rendered:
    weights = ev.detail.get("weights")
    if ev.rule == "arith.weights" and weights:
        return (
            f"Compute it with a one-line script rather than by hand: {_weights_formula(weights)}."
        )
    return (
        'Compute these numbers with a one-line script (`python3 -c "print(...)"`) rather than '
        "by hand."
    )


def _sub_delegation_by_hand(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "If you cannot run code here, compute it by hand and write down every intermediate value."
    )


def _sub_spatial_code(ctx: RenderContext, ev: Evidence) -> Rendered:
    return "Compute it in a short script with the explicit formula (`math.dist` for 2D distances)."


def _sub_planning_procedure(ctx: RenderContext, ev: Evidence) -> Rendered:
    match = str(ev.detail.get("match", "")).lower()
    if ev.rule == "plan.branches" and "decision tree" in match:
        return _WALK_TREE
    if ev.rule == "plan.branches":
        return (
            "Keep to the order given here: try the first option, and on any failure go straight "
            "to the next one listed."
        )
    if ev.rule == "plan.decompose":
        return "Use the steps as listed, in order, instead of planning your own."
    return None


def _sub_regex_strings(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "If the pattern is hard to get right, use plain string checks "
        "(`in`, `startswith`, `split`) "
        "instead."
    )


def _sub_node_python(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "This script can equally be written in Python: `json`, `pathlib` and `open()` cover the "
        "same file work."
    )


def _sub_web_curl(ctx: RenderContext, ev: Evidence) -> Rendered:
    url = ev.detail.get("url")
    if isinstance(url, str):
        return f"Fetch it from the shell with `curl -sL {shlex.quote(url.rstrip('.,;'))}`."
    return (
        "Fetch each URL from the shell with `curl -sL URL` and read the field you need from the "
        "output."
    )


def _sub_long_by_appends(ctx: RenderContext, ev: Evidence) -> Rendered:
    return (
        "Build the file in steps rather than in one output: write the first section, then append "
        "each following section with its own write, keeping the headings in order."
    )


SUBSTITUTIONS: dict[str, Renderer] = {
    "long-by-appends": _sub_long_by_appends,
    "structured-by-script": _sub_structured,
    "shell-to-python": _sub_shell_python,
    "browser-to-fetch": _sub_browser_fetch,
    "arithmetic-by-code": _sub_arith_code,
    "delegation-by-hand": _sub_delegation_by_hand,
    "spatial-by-code": _sub_spatial_code,
    "planning-by-procedure": _sub_planning_procedure,
    "regex-by-string-ops": _sub_regex_strings,
    "node-to-python": _sub_node_python,
    "web-by-curl": _sub_web_curl,
}


def script_name(path: str) -> str:
    return PurePosixPath(path).name
