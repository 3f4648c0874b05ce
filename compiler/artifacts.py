"""Writing a compiled variant to a folder, atomically, and reading it back.

Layout: ``SKILL.md``, the bundle files, ``env-setup.sh`` (when pass 2 ran), ``dag.json`` and
``dag.mmd`` (when pass 3 ran), ``report.json``. A bundle file that already uses one of those
names keeps it; the artifact then goes to ``skvm-<name>`` (``report.json`` lists where each went).
The folder is built under a temporary name next to ``out_dir`` and renamed into place, so a reader
never sees a half-written variant; an existing ``out_dir`` is replaced.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from compiler.skill import BundleFile
from compiler.variant import CompileResult, Variant
from compiler.workflow import render_mermaid

ARTIFACT_NAMES = ("env-setup.sh", "dag.json", "dag.mmd", "report.json")


class VariantWriteError(OSError):
    """The variant folder could not be written; nothing was left behind."""


class VariantReadError(ValueError):
    """The folder does not hold a variant written by ``write_variant_folder``."""


def artifact_paths(bundle_paths: set[str]) -> dict[str, str]:
    return {name: (f"skvm-{name}" if name in bundle_paths else name) for name in ARTIFACT_NAMES}


def write_variant_folder(result: CompileResult, out_dir: str | Path) -> Path:
    """Write ``result``'s variant to ``out_dir`` (replaced if it exists); returns the folder."""
    variant = result.variant
    target = Path(out_dir)
    parent = target.parent
    names = artifact_paths({f.path for f in variant.bundle})
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    except OSError as exc:
        raise VariantWriteError(f"{target}: cannot create: {exc.strerror or exc}") from None
    try:
        (tmp / "SKILL.md").write_text(variant.skill_md, encoding="utf-8")
        for f in variant.bundle:
            dest = tmp.joinpath(*PurePosixPath(f.path).parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(f.data)
        if variant.env_setup is not None:
            script = tmp / names["env-setup.sh"]
            script.write_text(variant.env_setup, encoding="utf-8")
            script.chmod(0o755)
        if variant.dag is not None:
            (tmp / names["dag.json"]).write_text(
                json.dumps(variant.dag.to_json_dict(), indent=2) + "\n", encoding="utf-8"
            )
            (tmp / names["dag.mmd"]).write_text(render_mermaid(variant.dag), encoding="utf-8")
        report = result.report()
        report["artifacts"] = names
        (tmp / names["report.json"]).write_text(
            json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        tmp.chmod(0o755)
        _swap_into_place(tmp, target)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise VariantWriteError(
                f"{target}: cannot write variant: {exc.strerror or exc}"
            ) from None
        raise
    return target


def _swap_into_place(tmp: Path, target: Path) -> None:
    if not target.exists():
        os.rename(tmp, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rmdir(old)
    os.rename(target, old)
    try:
        os.rename(tmp, target)
    except OSError:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def read_variant_folder(folder: str | Path) -> Variant:
    """A Variant back from a folder written by ``write_variant_folder``."""
    root = Path(folder)
    report: dict[str, Any] = {}
    for candidate in ("skvm-report.json", "report.json"):  # renamed only when the bundle has one
        path = root / candidate
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and "variant_id" in data:
                report = data
                break
    if not report:
        raise VariantReadError(f"{root}: no variant report.json")
    names = report.get("artifacts") or artifact_paths(set())
    bundle = tuple(
        BundleFile(
            path=entry["path"], data=root.joinpath(*PurePosixPath(entry["path"]).parts).read_bytes()
        )
        for entry in report["bundle"]
    )
    env_setup_path = root / names["env-setup.sh"]
    data = {
        "variant_id": report["variant_id"],
        "skill_md": (root / "SKILL.md").read_text(encoding="utf-8"),
        "bundle": bundle,
        "env_setup": env_setup_path.read_text(encoding="utf-8")
        if report.get("env") is not None
        else None,
        "env": report.get("env"),
        "dag": _dag_from_json(report.get("dag")),
        "provenance": report["provenance"],
    }
    return Variant.model_validate(data)


def _dag_from_json(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    return {
        "steps": [
            {
                **{k: v for k, v in s.items() if k != "dependsOn"},
                "depends_on": s.get("dependsOn", []),
            }
            for s in data["steps"]
        ],
        "groups": [
            {
                "kind": g["type"],
                "steps": g["steps"],
                "mechanism": g["mechanism"],
                "reason": g.get("reason", ""),
                "fallback": g.get("fallback", "sequential_execution"),
            }
            for g in data.get("parallelism", [])
        ],
        "unsupported": [
            {
                "kind": g["type"],
                "steps": g["steps"],
                "mechanism": g["mechanism"],
                "reason": g.get("reason", ""),
            }
            for g in data.get("unsupported", [])
        ],
        "planner": data.get("planner", "rules"),
    }
