from __future__ import annotations

import os
from pathlib import Path

import pytest

from compiler import SkillLoadError, load_skill_dir, parse_skill

GOOD = "---\nname: demo\ndescription: A demo skill.\n---\n\n# Demo\n\nDo the thing.\n"


def write_skill(
    root: Path, text: str | bytes = GOOD, files: dict[str, bytes] | None = None
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    data = text.encode() if isinstance(text, str) else text
    (root / "SKILL.md").write_bytes(data)
    for rel, content in (files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def test_loads_text_and_bundle(tmp_path: Path) -> None:
    root = write_skill(
        tmp_path / "demo",
        files={
            "references/a.md": b"# A\n",
            "assets/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00binary",
            ".git/config": b"ignored",
            "scripts/__pycache__/x.pyc": b"ignored",
        },
    )
    skill = load_skill_dir(root)
    assert skill.name == "demo"
    assert skill.description == "A demo skill."
    assert skill.bundle_paths == {"references/a.md", "assets/logo.png"}
    assert skill.bundle_text("references/a.md") == "# A\n"
    assert skill.bundle_text("assets/logo.png") is None  # opaque binary, carried as bytes
    assert load_skill_dir(root / "SKILL.md").content_hash == skill.content_hash


def test_content_hash_covers_the_bundle(tmp_path: Path) -> None:
    a = load_skill_dir(write_skill(tmp_path / "a", files={"r.md": b"one"}))
    b = load_skill_dir(write_skill(tmp_path / "b", files={"r.md": b"two"}))
    assert a.text_hash == b.text_hash
    assert a.content_hash != b.content_hash


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# No frontmatter\n", "no YAML frontmatter"),
        ("---\nname: x\ndescription: [unclosed\n---\n# X\n", "broken frontmatter at line"),
        ("---\nname: x\n# never closed\n", "not closed"),
        ("---\n- a\n- b\n---\n# X\n", "must be a YAML mapping"),
    ],
)
def test_bad_frontmatter_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    root = write_skill(tmp_path / "bad", text)
    with pytest.raises(SkillLoadError, match=message) as err:
        load_skill_dir(root)
    assert str(root / "SKILL.md") in str(err.value)


def test_non_utf8_and_binary_skill_md(tmp_path: Path) -> None:
    latin = write_skill(tmp_path / "latin", GOOD.encode() + "caf\xe9\n".encode("latin-1"))
    with pytest.raises(SkillLoadError, match=r"SKILL\.md: not UTF-8 \(byte 0xe9"):
        load_skill_dir(latin)
    binary = write_skill(tmp_path / "bin", b"\x00\x01\x02PK")
    with pytest.raises(SkillLoadError, match="binary content"):
        load_skill_dir(binary)


def test_non_utf8_text_file_in_bundle_names_the_file(tmp_path: Path) -> None:
    root = write_skill(
        tmp_path / "s", files={"references/notes.md": "r\xe9sum\xe9".encode("latin-1")}
    )
    with pytest.raises(SkillLoadError, match=r"references/notes\.md: not UTF-8"):
        load_skill_dir(root)


def test_oversized_skill_is_refused(tmp_path: Path) -> None:
    root = write_skill(tmp_path / "big", files={"assets/blob.bin": os.urandom(5 * 1024 * 1024)})
    with pytest.raises(SkillLoadError, match=r"blob\.bin: .*over the"):
        load_skill_dir(root)


def test_symlink_loop_and_escape(tmp_path: Path) -> None:
    loop = write_skill(tmp_path / "loop")
    (loop / "a").symlink_to(loop / "b")
    (loop / "b").symlink_to(loop / "a")
    with pytest.raises(SkillLoadError, match=r"loop/a: broken symlink \(symlink loop\)"):
        load_skill_dir(loop)

    cyc = write_skill(tmp_path / "cyc")
    (cyc / "sub").mkdir()
    (cyc / "sub" / "up").symlink_to(cyc)
    with pytest.raises(SkillLoadError, match="symlink loop"):
        load_skill_dir(cyc)

    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    esc = write_skill(tmp_path / "esc")
    (esc / "link.txt").symlink_to(outside)
    with pytest.raises(SkillLoadError, match="points outside the skill folder"):
        load_skill_dir(esc)


def test_symlinks_inside_the_skill_are_followed(tmp_path: Path) -> None:
    root = write_skill(tmp_path / "s", files={"references/a.md": b"A"})
    (root / "alias.md").symlink_to(root / "references" / "a.md")
    assert load_skill_dir(root).bundle_text("alias.md") == "A"


def test_missing_folder_and_missing_skill_md(tmp_path: Path) -> None:
    with pytest.raises(SkillLoadError, match="cannot open skill folder"):
        load_skill_dir(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SkillLoadError, match=r"SKILL\.md: missing"):
        load_skill_dir(tmp_path / "empty")


def test_parse_skill_is_pure_and_validates_paths() -> None:
    skill = parse_skill(GOOD, {"r.md": b"x"})
    assert skill.origin is None
    assert skill.bundle_paths == {"r.md"}
    with pytest.raises(SkillLoadError, match="relative and inside"):
        parse_skill(GOOD, {"../etc/passwd": b"x"})
    assert parse_skill("---\ndescription: d\n---\n", name="from-folder").name == "from-folder"
