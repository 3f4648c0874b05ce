"""Data the SCR rules read: phrase signals, libraries, file formats, shell commands, tools.

Adding a primitive signal is one entry in one of these tables. ``PATTERN_SIGNALS`` are matched on
the skill's prose (outside code fences, frontmatter excluded), case-insensitively unless the
pattern says otherwise; the structural rules in ``compiler.scr_rules`` use the other tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from compiler.levels import Level

L1, L2, L3 = Level.L1, Level.L2, Level.L3


@dataclass(frozen=True, slots=True)
class PatternSignal:
    id: str
    primitive: str
    level: Level
    pattern: str
    note: str
    flags: int = re.IGNORECASE
    instruction_only: bool = True  # only on lines that instruct (see scr_rules.is_instruction)

    def compile(self) -> re.Pattern[str]:
        return re.compile(self.pattern, self.flags)


PATTERN_SIGNALS: tuple[PatternSignal, ...] = (
    # reasoning
    PatternSignal(
        "arith.calculate",
        "reason.arithmetic",
        L2,
        r"\b(?:calculat(?:e|es|ed|ing)|work out|comput(?:e|es|ing)) (?:the |a |an |each |all )?"
        r"(?:total|sum|average|mean|median|percentage|ratio|rate|score|capacity|velocity|cost|"
        r"budget|margin|growth|number|count|value|date|days?|points?|roi|ltv|cac)\b",
        "asks for a multi-step calculation",
    ),
    PatternSignal(
        "arith.formula",
        "reason.arithmetic",
        L2,
        r"(?:formula|score|calculat\w*|comput\w*)\W[^\n]{0,40}?\b[A-Z][\w ]{1,30}\s=\s[\w().%]+"
        r"(?:\s[×*/÷+−]\s[\w().%]+)+",
        "states a formula to apply",
        flags=0,
        instruction_only=False,
    ),
    PatternSignal(
        "arith.financial",
        "reason.arithmetic",
        L3,
        r"\b(?:compound(?:ed|ing)? (?:interest|growth|annual)|cagr|npv|irr|net present value|"
        r"amorti[sz]\w*|discount rate|annuali[sz]ed|payback period|ltv\s*[:/]\s*cac)\b",
        "asks for compound or financial calculations",
    ),
    PatternSignal(
        "logic.constraints",
        "reason.logic",
        L2,
        r"\b(?:satisf(?:y|ies|ying) (?:all |every |each |the ){1,2}(?:constraints?|requirements?|"
        r"rules?)|"
        r"subject to (?:the )?constraints?|compatibility matrix|conflicting (?:constraints|"
        r"requirements|licen[cs]es))\b",
        "combines several constraints",
    ),
    PatternSignal(
        "logic.optimise",
        "reason.logic",
        L3,
        r"\b(?:minimi[sz]e (?:the )?total|maximi[sz]e (?:the )?(?:total|overall)|"
        r"best combination of|optimal (?:allocation|assignment|schedule|mix))\b",
        "asks for optimisation under constraints",
    ),
    PatternSignal(
        "spatial.2d",
        "reason.spatial",
        L1,
        r"\b(?:distance between|x/y coordinates|grid coordinates)\b",
        "reasons about 2D positions",
    ),
    PatternSignal(
        "spatial.geometry",
        "reason.spatial",
        L2,
        r"\b(?:area of|perimeter|bounding box|polygon|rotation angle|scale factor)\b",
        "reasons about geometry",
    ),
    PatternSignal(
        "spatial.sphere",
        "reason.spatial",
        L3,
        r"\b(?:latitude|longitude|great[- ]circle|haversine|geodesic|3d coordinates)\b",
        "reasons about spherical or 3D geometry",
    ),
    PatternSignal(
        "plan.decompose",
        "reason.planning",
        L2,
        r"\b(?:break (?:it |this |them |the \w+ )?down into|decompos(?:e|ing) (?:the|it|a)|"
        r"split (?:it |the \w+ )?into (?:smaller|sub)|sub-?tasks)\b",
        "asks to decompose work into parts",
    ),
    PatternSignal(
        "plan.branches",
        "reason.planning",
        L3,
        r"\b(?:auto-fallback|fallback (?:chain|order)|decision tree|error recovery|"
        r"stop at (?:the )?first success)\b",
        "plans with conditional branches and fallbacks",
        instruction_only=False,
    ),
    PatternSignal(
        "analysis.review",
        "reason.analysis",
        L2,
        r"\b(?:review (?:the|this|each|their) (?:code|diff|pull request|pr|changes)|"
        r"find (?:the )?bugs?|identify (?:the )?bugs?|debug (?:the|a|it))\b",
        "asks to find problems in code",
    ),
    PatternSignal(
        "analysis.root_cause",
        "reason.analysis",
        L3,
        r"\b(?:root[- ]cause|cross-file|multi-file|call chain|across (?:multiple|several) "
        r"(?:files|modules|services))\b",
        "asks for multi-file root-cause analysis",
    ),
    # generation
    PatternSignal(
        "prose.multi",
        "gen.text.prose",
        L2,
        r"\b(?:write|draft|compose|create|produce)\s+(?:a |an |the |your |each )?"
        r"(?:[\w,.-]+ ){0,2}"
        r"(?:blog posts?|articles?|essays?|newsletters?|press releases?|cover letters?|"
        r"landing page copy|case stud(?:y|ies)|[\w-]*email sequences?|multi-paragraph \w+)\b",
        "writes multi-paragraph prose",
    ),
    PatternSignal(
        "prose.rewrite",
        "gen.text.prose",
        L2,
        r"\brewrite (?:the|this|their|your|each) (?:\w+ )?(?:draft|text|copy|post|article|email|"
        r"page|paragraph|section)s?\b",
        "rewrites prose",
    ),
    PatternSignal(
        "prose.long_form",
        "gen.text.prose",
        L3,
        r"\b(?:write|draft|compose|create|produce)\s+(?:a |an |the |your )?(?:\w+ )?"
        r"(?:long-form \w+|white ?papers?|in-depth (?:guide|article|analysis)|pillar (?:page|"
        r"content)|e-?books?)\b",
        "writes long-form prose with sections",
    ),
    PatternSignal(
        "long.report",
        "gen.text.long",
        L2,
        r"\b(?:full|detailed|comprehensive|complete|structured) (?:research )?(?:report|"
        r"document|write-?up|specification|audit)\b",
        "produces a long structured document",
    ),
    PatternSignal(
        "format.named",
        "follow.format",
        L1,
        r"\b(?:output|respond|return|reply|save|write|export|format) (?:it |them |the "
        r"\w+ |results? |your answer )?(?:as|in|to) (?:a |an )?(?:valid )?(?:json|yaml|csv|"
        r"markdown table|xml|ics|\.ics)\b",
        "asks for a named output format",
    ),
    PatternSignal(
        "format.shape",
        "follow.format",
        L1,
        r"\b(?:(?:answer|reply|respond)\s+with\s+(?:one\s+line|a\s+single\s+\w+|one\s+\w+|"
        r"only|exactly|just|the\s+[\w\s]{1,25}?\s+only)\b|"
        r"in\s+(?:\w+\s+)?bullet\s+points\b|"
        r"one\s+(?:line|row|paragraph|bullet|object|entry|section)\s+(?:per|for\s+each)\b|"
        r"with\s+(?:one|two|three|\d)\s+decimals?\b|as\s+a\s+percentage\b|"
        r"(?:list|report)\s+each\s+\w+\s+with\s+(?:its|their)\b|comparison\s+table\b)",
        "asks for an exact answer shape",
    ),
    PatternSignal(
        "format.template",
        "follow.format",
        L2,
        r"\b(?:(?:use|follow|fill (?:in|out)) (?:this|the following|the|these) (?:structure|"
        r"format|template|schema|layout)\b|fill (?:it|them) (?:in|out)\b)",
        "asks to conform to a template",
    ),
    PatternSignal(
        "constraint.priors",
        "follow.constraint",
        L3,
        r"\b(?:even if (?:it|this|that) (?:seems|looks|feels|sounds)|without hedging|"
        r"do not hedge|counter-?intuitive(?:ly)?|contrary to (?:what|common))\b",
        "has constraints that run against habit",
    ),
    PatternSignal(
        "style.voice",
        "follow.style",
        L2,
        r"\b(?:brand voice|tone of voice|writing style|(?:formal|informal|casual) register|"
        r"adopt (?:a|the) persona|in the voice of|voice and tone|match (?:the|their|your|its) "
        r"(?:intended |original )?(?:tone|voice|style)|maintain (?:the |their |your )?voice|"
        r"(?:formal|casual|conversational|friendly|authoritative|playful|professional) tone)\b",
        "asks for a specific voice or register",
    ),
    PatternSignal(
        "style.consistent",
        "follow.style",
        L3,
        r"\b(?:consistent(?:ly)? (?:tone|voice|style|register)|(?:tone|voice|style) "
        r"consistency|stay(?:s)? (?:in|on) (?:voice|character|brand)|sound(?:s|ing)? (?:more )?"
        r"(?:natural|human)|human-written)\b",
        "asks for a style kept across a long output",
    ),
    PatternSignal(
        "delegate.code",
        "follow.delegation",
        L2,
        r"\b(?:use (?:a |the )?(?:script|code|python) (?:to|for) (?:calculat|comput|count|sum|"
        r"check|validat)\w*|(?:don'?t|do not|never) (?:calculate|compute|count) (?:it |them )?"
        r"(?:by hand|mentally|manually|in your head)|write (?:a )?(?:small |short |quick )?"
        r"(?:script|program) to)\b",
        "prefers code over mental computation",
    ),
    # tools
    PatternSignal(
        "web.fetch",
        "tool.web",
        L1,
        r"\b(?:web_fetch|webfetch|fetch (?:the |a |each )?(?:url|page|api|data|html|json)|"
        r"http get|call the api|web_search|search the web)\b",
        "fetches from the web",
    ),
    PatternSignal(
        "web.paginate",
        "tool.web",
        L3,
        r"\b(?:paginated (?:api|results|endpoints?|responses?)|pagination (?:token|cursor|"
        r"parameters?)|next page (?:token|cursor|link|url)|all pages of results)\b",
        "fetches paginated or multiple web APIs",
    ),
    PatternSignal(
        "browser.navigate",
        "tool.browser",
        L1,
        r"\b(?:headless (?:chrome|browser)|browser tool|navigate to (?:the )?(?:page|url|site)|"
        r"in the browser|screenshot of the (?:page|site))\b",
        "drives a browser",
    ),
    PatternSignal(
        "browser.interact",
        "tool.browser",
        L2,
        r"\b(?:fill (?:in|out) the form|submit the form|click (?:on )?the (?:button|link)|"
        r"wait for (?:the )?(?:page|selector|element) to)\b",
        "interacts with pages in a browser",
    ),
    PatternSignal(
        "read.large",
        "tool.file.read",
        L3,
        r"\b(?:large files?|line range|offset and limit|read (?:it |the file )?in chunks|"
        r"first \d+ lines)\b",
        "reads large files in parts",
    ),
    PatternSignal(
        "read.named",
        "tool.file.read",
        L1,
        r"\b(?:read|open|inspect|view|look at|summari[sz]e|load) (?:(?:the (?:file )?)?"
        r"`[^`\s]+\.[a-z0-9]{1,5}`|(?:the )?(?:file(?:'s)? )?(?:header|first "
        r"(?:\w+ ){0,2}(?:rows|lines))\b)",
        "reads a named file",
    ),
    PatternSignal(
        "read.multi",
        "tool.file.read",
        L2,
        r"\b(?:read (?:all|each|every|both|multiple|several) (?:of )?(?:the )?(?:\w+ )?"
        r"(?:files?|documents?|references?|sources?)|read each file)\b",
        "reads several files",
    ),
    PatternSignal(
        "write.multi",
        "tool.file.write",
        L3,
        r"\b(?:create (?:the following|these|multiple|several|all(?: the)?) (?:\w+ )?files|"
        r"generate (?:multiple|several|the following) (?:\w+ )?files|one file (?:per|for each))\b",
        "writes several files",
    ),
    PatternSignal(
        "write.save",
        "tool.file.write",
        L1,
        r"\b(?:save|write) (?:it|the (?:result|results|output|file|report|document)|"
        r"results) (?:to|in|into|as)\b",
        "writes an output file",
    ),
    PatternSignal(
        "write.named",
        "tool.file.write",
        L1,
        r"\b(?:(?:save|write|create|update|export|store|copy|collect|dump|append)\b"
        r"(?<!its export)(?<!the export)(?<!an export)(?<!its update)(?<!the update)"
        r"(?<!an update)(?<!a copy)(?<!the copy)[^.;`]{0,50}?"
        r"`[^`\s]+\.[a-z0-9]{1,5}`|"
        r"(?:create|write|produce|generate|save|build) (?:a |an |the |one |a single )"
        r"(?:valid |new |separate |single )?(?:[\w.-]+ ){0,2}files?\b|"
        r"save (?:it|them|the file|your changes)(?=[.,;]|\s*$))",
        "writes a named file",
    ),
    PatternSignal(
        "exec.run",
        "tool.exec",
        L1,
        r"\brun (?:the |a |this |that |your |all )?(?:\w+ )?(?:test suite|tests|linter|build|"
        r"script|command|migration|query|profiler|checks?|analysis)\b",
        "runs a command",
    ),
    PatternSignal(
        "python.script",
        "gen.code.python",
        L1,
        r"\b(?:write|create) (?:a |the )?(?:small |short |quick |simple )?python "
        r"(?:script|program)\b",
        "writes a Python script",
    ),
    PatternSignal(
        "exec.script",
        "tool.exec",
        L2,
        r"\b(?:write (?:a |the )?(?:small |short )?(?:python |bash |shell |node )?script,? "
        r"(?:and|then) (?:run|execute) it)\b",
        "writes and runs a script",
    ),
    PatternSignal(
        "batch.multi",
        "tool.call.batch",
        L2,
        r"\b(?:read|fetch|load|open|check|gather) (?:all|each of|every|multiple|several) "
        r"(?:the )?(?:\w+ )?(?:files|pages|urls|sources|documents)\b",
        "gathers several files or pages",
    ),
    PatternSignal(
        "batch.cross",
        "tool.call.batch",
        L3,
        r"\b(?:cross-referenc\w+ (?:the |multiple |several |your )?sources|compare (?:the )?"
        r"(?:results|sources|files|findings) "
        r"(?:across|from)|combine (?:the )?(?:findings|results) (?:from|of) (?:all|multiple|"
        r"several)|multiple sources)\b",
        "reasons across several gathered results",
    ),
)


@dataclass(frozen=True, slots=True)
class Library:
    """A library a skill may name or import, and what using it demands."""

    name: str  # import or package name as written in code
    primitive: str
    level: Level
    distribution: str | None = None  # pip/npm name when it differs from ``name``
    ecosystem: str = "pip"
    mentions: tuple[str, ...] = ()  # extra spellings recognised in prose (case-sensitive)
    prose_name: bool = True  # False when the bare name is an ordinary word ("requests")


LIBRARIES: tuple[Library, ...] = (
    Library("pandas", "gen.code.python", L3),
    Library("numpy", "gen.code.python", L3),
    Library("openpyxl", "gen.code.python", L3),
    Library("xlsxwriter", "gen.code.python", L3, "XlsxWriter"),
    Library("docx", "gen.code.python", L3, "python-docx", mentions=("python-docx",)),
    Library("pptx", "gen.code.python", L3, "python-pptx", mentions=("python-pptx",)),
    Library("pypdf", "gen.code.python", L3, mentions=("PyPDF2",)),
    Library("pdfplumber", "gen.code.python", L3),
    Library("fitz", "gen.code.python", L3, "PyMuPDF", mentions=("PyMuPDF",)),
    Library("reportlab", "gen.code.python", L3),
    Library("matplotlib", "gen.code.python", L3),
    Library("scipy", "gen.code.python", L3),
    Library("sklearn", "gen.code.python", L3, "scikit-learn", mentions=("scikit-learn",)),
    Library("yaml", "gen.code.python", L3, "PyYAML", mentions=("PyYAML",)),
    Library("PIL", "gen.code.python", L3, "Pillow", mentions=("Pillow",)),
    Library("requests", "tool.web", L1, prose_name=False),
    Library("httpx", "tool.web", L1),
    Library("bs4", "tool.browser", L1, "beautifulsoup4", mentions=("BeautifulSoup",)),
    Library("playwright", "tool.browser", L2, mentions=("Playwright",)),
    Library("selenium", "tool.browser", L2, mentions=("Selenium",)),
    Library("puppeteer", "tool.browser", L2, ecosystem="npm"),
    Library("pptxgenjs", "gen.code.javascript", L2, ecosystem="npm", mentions=("PptxGenJS",)),
    Library("exceljs", "gen.code.javascript", L2, ecosystem="npm", mentions=("ExcelJS",)),
    Library("d3", "gen.code.javascript", L3, ecosystem="npm", mentions=("D3.js",)),
    Library("chart.js", "gen.code.javascript", L2, ecosystem="npm", mentions=("Chart.js",)),
)
LIBRARY_BY_NAME: dict[str, Library] = {lib.name: lib for lib in LIBRARIES}


@dataclass(frozen=True, slots=True)
class FileFormat:
    """A file format a skill reads or produces, and what handling it demands."""

    id: str
    pattern: str  # matched case-sensitively on prose and inline code
    primitive: str
    level: Level
    library: str | None = None  # LIBRARY_BY_NAME key for the usual Python library


FILE_FORMATS: tuple[FileFormat, ...] = (
    FileFormat(
        "xlsx",
        r"\.xlsx\b|\bXLSX\b|\bExcel (?:file|workbook|spreadsheet)s?\b",
        "gen.code.python",
        L3,
        "openpyxl",
    ),
    FileFormat(
        "docx", r"\.docx\b|\bDOCX\b|\bWord (?:document|file)s?\b", "gen.code.python", L3, "docx"
    ),
    FileFormat(
        "pptx",
        r"\.pptx\b|\bPPTX\b|\bPowerPoint (?:file|deck|presentation)s?\b",
        "gen.code.python",
        L3,
        "pptx",
    ),
    FileFormat("pdf", r"\.pdf\b|\bPDF (?:file|document)s?\b", "gen.code.python", L3, "pypdf"),
    FileFormat("csv", r"\.csv\b|\bCSV (?:file|data|export)s?\b", "gen.code.python", L2),
    FileFormat("ics", r"\.ics\b|\biCalendar\b", "follow.format", L2),
    FileFormat("svg", r"\.svg\b|\binline SVG\b", "gen.code.html", L2),
    FileFormat("html", r"\.html\b|\bHTML (?:file|page|document)s?\b", "gen.code.html", L1),
    FileFormat("jsonld", r"\bJSON-LD\b", "gen.text.structured", L2),
)


@dataclass(frozen=True, slots=True)
class ShellCommand:
    """A command word seen in a shell block, and what using it demands."""

    word: str
    primitive: str
    level: Level


SHELL_COMMANDS: tuple[ShellCommand, ...] = (
    ShellCommand("awk", "gen.code.shell", L3),
    ShellCommand("gawk", "gen.code.shell", L3),
    ShellCommand("sed", "gen.code.shell", L3),
    ShellCommand("xargs", "gen.code.shell", L3),
    ShellCommand("jq", "gen.code.shell", L3),
    ShellCommand("parallel", "gen.code.shell", L3),
    ShellCommand("perl", "gen.code.shell", L3),
    ShellCommand("curl", "tool.web", L1),
    ShellCommand("wget", "tool.web", L1),
    ShellCommand("http", "tool.web", L1),
)
SHELL_COMMAND_BY_WORD: dict[str, ShellCommand] = {c.word: c for c in SHELL_COMMANDS}

SHELL_LANGS = frozenset(
    {"bash", "sh", "shell", "zsh", "console", "terminal", "shellscript", "shell-session"}
)
PYTHON_LANGS = frozenset({"python", "py", "python3", "ipython"})
JS_LANGS = frozenset({"javascript", "js", "node", "mjs", "cjs", "typescript", "ts", "jsx", "tsx"})
SQL_LANGS = frozenset({"sql", "postgresql", "postgres", "mysql", "sqlite", "plsql", "tsql"})
HTML_LANGS = frozenset({"html", "htm", "svg", "xhtml", "vue"})
CSS_LANGS = frozenset({"css", "scss", "sass", "less"})
DATA_LANGS = frozenset({"json", "jsonc", "json5", "yaml", "yml"})
TEMPLATE_LANGS = frozenset({"markdown", "md", ""})
