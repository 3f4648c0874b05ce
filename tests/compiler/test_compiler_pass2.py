from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from compiler import (
    PresenceCache,
    SkillSource,
    extract_dependencies,
    load_skill_dir,
    render_env_note,
    render_env_setup,
)
from compiler.deps import Dependency, EnvManifest

MakeSkill = Callable[..., SkillSource]
BASH = shutil.which("bash")


def deps_of(s: SkillSource) -> dict[str, tuple[str, str]]:
    return {d.name: (d.kind, d.package) for d in extract_dependencies(s).dependencies}


def test_python_imports_map_to_distributions(make_skill: MakeSkill) -> None:
    s = make_skill(
        "# P\n\n```python\nimport yaml, json\nfrom PIL import Image\nimport cv2\nimport fitz\n"
        "from docx import Document\nimport helpers\nimport somethingunknown\n```\n",
        {"scripts/helpers.py": b"import pandas as pd\nimport os\n"},
    )
    got = deps_of(s)
    assert got["yaml"] == ("python", "PyYAML")
    assert got["PIL"] == ("python", "Pillow")
    assert got["cv2"] == ("python", "opencv-python")
    assert got["fitz"] == ("python", "PyMuPDF")
    assert got["docx"] == ("python", "python-docx")
    assert got["pandas"] == ("python", "pandas")  # from the bundled script
    assert got["python3"] == ("binary", "python3")
    assert "json" not in got
    assert "os" not in got
    assert "helpers" not in got
    unknown = next(d for d in extract_dependencies(s).dependencies if d.name == "somethingunknown")
    assert unknown.guessed


def test_commands_install_lines_and_sources(make_skill: MakeSkill) -> None:
    s = make_skill(
        "# S\n\n```bash\npdftotext in.pdf - | grep -c Total\nsudo apt-get install -y jq\n"
        "pip install 'pandas>=2' python-pptx\nnpm install -g prettier\n./scripts/run.sh\n"
        "ls -la\n```\n\n"
        "Then run `pytest -q` and `git status`.\n"
    )
    manifest = extract_dependencies(s)
    got = {d.name: (d.kind, d.package) for d in manifest.dependencies}
    assert got["pdftotext"] == ("binary", "pdftotext")
    pdf = next(d for d in manifest.dependencies if d.name == "pdftotext")
    assert pdf.system_packages == ("poppler-utils", "poppler", "poppler-utils")
    assert pdf.sources[0].line == 9
    assert pdf.sources[0].how == "shell-command"
    assert got["jq"][0] == "binary"
    assert got["pandas"] == ("python", "pandas")
    assert got["pptx"] == ("python", "python-pptx")
    assert got["prettier"] == ("npm", "prettier")
    assert got["pytest"] == ("binary", "pytest")
    assert got["git"] == ("binary", "git")
    assert not {"ls", "grep", "sudo", "apt-get", "pip", "./scripts/run.sh"} & set(got)


def test_frontmatter_requirements_and_shebangs(make_skill: MakeSkill) -> None:
    text = (
        "---\nname: o\ndescription: d\n"
        'metadata: {"clawdbot": {"requires": {"bins": ["obsidian-cli", "rg"]}, '
        '"install": [{"kind": "brew", "formula": "yakitrak/yakitrak/obsidian-cli", '
        '"bins": ["obsidian-cli"]}]}}\n---\n# O\n'
    )
    s = make_skill(
        text,
        {
            "requirements.txt": b"requests==2.32\nPyYAML  # config\n-r other.txt\n",
            "assets/sample_requirements.txt": b"django\n",
            "scripts/tool.sh": b"#!/usr/bin/env bash\nffmpeg -i a b\n",
        },
    )
    manifest = extract_dependencies(s)
    by_name = {d.name: d for d in manifest.dependencies}
    assert by_name["obsidian-cli"].system_packages == (
        "obsidian-cli",
        "yakitrak/yakitrak/obsidian-cli",
        "obsidian-cli",
    )
    assert by_name["rg"].system_packages == ("ripgrep", "ripgrep", "ripgrep")
    assert by_name["requests"].package == "requests"
    assert by_name["yaml"].package == "PyYAML"
    assert "django" not in by_name  # sample data, not the skill's own requirements
    assert "ffmpeg" in by_name
    assert "bash" in manifest.interpreters


def test_unsafe_names_never_reach_the_script(make_skill: MakeSkill) -> None:
    s = make_skill(
        "# S\n\n```bash\npip install 'evil;rm -rf ~'\nnpm install -g '$(touch /tmp/x)'\n```\n"
    )
    manifest = extract_dependencies(s)
    script = render_env_setup(manifest, skill_name="s", version="t")
    assert "rm -rf" not in script
    assert "touch" not in script


def manifest_of(*deps: Dependency) -> EnvManifest:
    return EnvManifest(dependencies=deps)


PDF = Dependency(
    kind="binary",
    name="pdftotext",
    package="pdftotext",
    system_packages=("poppler-utils", "poppler", "poppler-utils"),
)
PANDAS = Dependency(kind="python", name="pandas", package="pandas")
MYSTERY = Dependency(kind="binary", name="mystery-tool", package="mystery-tool")


def test_env_note_lists_present_and_missing() -> None:
    manifest = manifest_of(PDF, PANDAS, Dependency(kind="npm", name="prettier", package="prettier"))
    presence = PresenceCache(lambda d: {"pandas": True, "pdftotext": False}.get(d.name)).check(
        manifest
    )
    note = render_env_note(manifest, presence, script_path="/v/env-setup.sh")
    assert note == (
        "Environment on this machine: present: pandas; missing: pdftotext "
        "(run `bash /v/env-setup.sh` to install them); not checked: prettier."
    )
    everything = PresenceCache(lambda d: True).check(manifest_of(PANDAS))
    assert render_env_note(manifest_of(PANDAS), everything).endswith("No installation needed.")
    assert render_env_note(EnvManifest(), {}) == ""


def test_presence_cache_uses_a_ttl() -> None:
    calls: list[str] = []
    now = [0.0]

    def probe(d: Dependency) -> bool:
        calls.append(d.name)
        return True

    cache = PresenceCache(probe, ttl_seconds=60, clock=lambda: now[0])
    cache.check(manifest_of(PANDAS))
    cache.check(manifest_of(PANDAS))
    assert calls == ["pandas"]
    now[0] = 61
    cache.check(manifest_of(PANDAS))
    assert calls == ["pandas", "pandas"]


def _stub(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


@pytest.mark.skipif(BASH is None, reason="bash is needed to check the generated script")
def test_env_setup_script_is_valid_bash(fixtures_dir: Path, tmp_path: Path) -> None:
    manifest = extract_dependencies(load_skill_dir(fixtures_dir / "skills" / "sales-report"))
    script = tmp_path / "env-setup.sh"
    script.write_text(render_env_setup(manifest, skill_name="sales-report", version="t"))
    assert subprocess.run([BASH, "-n", str(script)], check=False).returncode == 0
    text = script.read_text()
    assert "update" not in text.replace("never upgrades", "")
    assert "upgrade" not in text.replace("never upgrades", "")
    assert "pip_install PyYAML" in text
    assert "py_has yaml" in text


@pytest.mark.skipif(BASH is None, reason="bash is needed to run the generated script")
def test_env_setup_checks_first_keeps_going_and_reports(tmp_path: Path) -> None:
    """Run the script against stub commands only: nothing real is installed."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    _stub(bin_dir, "id", "echo 0")  # root: no sudo
    _stub(bin_dir, "apt-get", f'echo "apt-get $*" >> {log}; exit 1')  # installs fail
    _stub(
        bin_dir,
        "fakepy",
        f'case "$*" in *"-c import pandas"*) exit 0;; *"-m pip"*) echo "pip $*" >> {log}; '
        f"exit 0;; esac; exit 1",
    )
    absent = PDF.model_copy(update={"name": "skvm-absent-pdftotext"})  # never on a real PATH
    manifest = manifest_of(
        absent, MYSTERY, PANDAS, Dependency(kind="python", name="yaml", package="PyYAML")
    )
    script = tmp_path / "env-setup.sh"
    script.write_text(render_env_setup(manifest, skill_name="t", version="t"))
    # The stub directory comes first, so `apt-get` is the stub even where a real one exists.
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "PYTHON": str(bin_dir / "fakepy")}
    run = subprocess.run(
        [BASH, str(script)], env=env, capture_output=True, text=True, check=False, timeout=30
    )
    calls = log.read_text().splitlines()
    assert run.returncode == 1  # the two commands are still missing
    assert (
        "apt-get install -y --no-install-recommends poppler-utils" in calls
    )  # tried, failed, kept going
    assert any("pip" in c and "PyYAML" in c for c in calls)  # the later python dependency still ran
    assert not any("pandas" in c for c in calls)  # present: checked, never reinstalled
    assert not any("update" in c or "upgrade" in c or " -U" in c for c in calls)
    assert "mystery-tool is missing and has no known package" in run.stderr
    assert "present: pandas" in run.stdout


@pytest.mark.skipif(BASH is None, reason="bash is needed to run the generated script")
def test_env_setup_with_everything_present_is_a_no_op(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _stub(bin_dir, "pdftotext", "exit 0")
    _stub(bin_dir, "fakepy", "exit 0")
    script = tmp_path / "env-setup.sh"
    script.write_text(render_env_setup(manifest_of(PDF, PANDAS), skill_name="t", version="t"))
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "PYTHON": str(bin_dir / "fakepy")}
    for _ in range(2):  # idempotent
        run = subprocess.run(
            [BASH, str(script)], env=env, capture_output=True, text=True, check=False, timeout=30
        )
        assert run.returncode == 0, run.stderr
        assert "all dependencies present" in run.stdout
        assert "installing" not in run.stdout
    assert os.access(script, os.R_OK)
