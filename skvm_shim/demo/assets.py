"""Where the demo's inputs live: the example harness, the skill, the local model's profile.

They are files of the repository (``examples/``, ``profiles/``), not of the installed package: the
demo runs the same ``examples/agent_loop.py`` a reader can open, so it needs a checkout
(``pip install -e``).
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

SKILL_NAME = "line-count"
PROFILE = Path("profiles") / "bare-agent" / "smollm2-135m-instruct"


class DemoError(Exception):
    """The demo cannot run here; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Assets:
    root: Path
    agent_loop: Path
    skills: Path
    skill: Path
    profile: Path

    @property
    def skill_md(self) -> Path:
        return self.skill / "SKILL.md"


def find_assets(root: Path | None = None) -> Assets:
    """The repository's demo files, or DemoError naming the first one missing."""
    if root is None:
        root = Path(__file__).resolve().parents[2]
    assets = Assets(
        root=root,
        agent_loop=root / "examples" / "agent_loop.py",
        skills=root / "examples" / "skills",
        skill=root / "examples" / "skills" / SKILL_NAME,
        profile=root / PROFILE,
    )
    for path in (assets.agent_loop, assets.skill_md, assets.profile / "latest.json"):
        if not path.is_file():
            raise DemoError(
                f"{path} is missing: `skvm-shim demo` runs the repository's examples/ and "
                "profiles/; run it from a clone installed with `pip install -e '.[local,openai]'`"
            )
    return assets


def load_agent_loop(path: Path) -> ModuleType:
    """``examples/agent_loop.py`` as a module (it is a script, not part of the package)."""
    name = "_skvm_demo_agent_loop"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise DemoError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
