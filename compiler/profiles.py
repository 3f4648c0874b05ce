"""Reading SkVM-format profiles from disk: one file, one ``<harness>/<model>`` folder, a tree.

Folder layout (SkVM's cache and SkVM-data): ``<root>/<harness>/<safe-model>/latest.json`` plus
archived ``v_<UTC stamp>.json`` files. A folder's profile is ``latest.json`` when present and not
a partial checkpoint, else the newest ``v_*.json`` (by the stamp in its name, then ``profiledAt``),
else a partial ``latest.json`` (partial profiles still carry the primitives they measured).
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import ValidationError

from compiler.tcp import TCP


class ProfileLoadError(ValueError):
    """A profile file that cannot be read or is not a SkVM profile; names the file."""


_STAMP = re.compile(r"^v_(\d{8}T\d{6})")


def read_profile_file(path: str | Path) -> TCP:
    file = Path(path)
    try:
        return TCP.from_skvm_json(file.read_bytes())
    except OSError as exc:
        raise ProfileLoadError(f"{file}: cannot read profile: {exc.strerror or exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ProfileLoadError(f"{file}: not a SkVM profile ({where}: {first['msg']})") from None


def _version_files(folder: Path) -> list[Path]:
    files = [p for p in folder.glob("v_*.json") if p.is_file()]
    return sorted(files, key=lambda p: (m.group(1) if (m := _STAMP.match(p.name)) else "", p.name))


def read_profile_folder(folder: str | Path) -> TCP:
    """The current profile of one ``<harness>/<model>`` folder."""
    root = Path(folder)
    latest = root / "latest.json"
    partial: TCP | None = None
    if latest.is_file():
        tcp = read_profile_file(latest)
        if not tcp.is_partial:
            return tcp
        partial = tcp
    versions = [read_profile_file(p) for p in _version_files(root)]
    complete = [t for t in versions if not t.is_partial]
    if complete:
        return max(enumerate(complete), key=lambda it: (it[1].profiled_at_time, it[0]))[1]
    if partial is not None:
        return partial
    if versions:
        return versions[-1]
    raise ProfileLoadError(f"{root}: no latest.json or v_*.json profile in this folder")


def read_profile_tree(root: str | Path) -> list[TCP]:
    """Every folder's current profile under ``root/<harness>/<model>/``, sorted by path."""
    base = Path(root)
    if not base.is_dir():
        raise ProfileLoadError(f"{base}: not a directory")
    out: list[TCP] = []
    for harness_dir in sorted(p for p in base.iterdir() if p.is_dir()):
        for model_dir in sorted(p for p in harness_dir.iterdir() if p.is_dir()):
            if any(model_dir.glob("*.json")):
                out.append(read_profile_folder(model_dir))
    return out
