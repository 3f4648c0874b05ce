"""The ``skvm-shim`` command line.

Subcommands live in their own modules and are imported only when used, so ``skvm-shim --help``
and quick commands stay fast and a command whose optional dependencies are missing does not break
the others.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import click

from skvm_shim import __version__
from skvm_shim.cli.common import CliState

_COMMANDS: dict[str, tuple[str, str]] = {
    "proxy": ("skvm_shim.cli.proxy", "proxy"),
    "skills": ("skvm_shim.cli.skills", "skills"),
    "compile": ("skvm_shim.cli.compile", "compile_command"),
    "variants": ("skvm_shim.cli.variants", "variants"),
    "profiles": ("skvm_shim.cli.profiles", "profiles"),
    "profile": ("skvm_shim.cli.profile", "profile"),
    "jit": ("skvm_shim.cli.jit", "jit"),
    "local-model": ("skvm_shim.cli.local_model", "local_model"),
    "demo": ("skvm_shim.cli.demo", "demo"),
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, (module, _) in _COMMANDS.items() if _exists(module))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = _COMMANDS.get(cmd_name)
        if entry is None or not _exists(entry[0]):
            return None
        module = importlib.import_module(entry[0])
        command = getattr(module, entry[1])
        assert isinstance(command, click.Command)
        return command


def _exists(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="skvm-shim")
@click.option(
    "--home",
    envvar="SKVM_HOME",
    type=click.Path(file_okay=False),
    help="State directory (store, variants). Default: $SKVM_HOME or ~/.cache/skvm-shim.",
)
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.pass_context
def main(ctx: click.Context, home: str | None, verbose: int) -> None:
    """Compile agent skills for each model and harness, replay what models repeat, trace it all.

    Use `skvm_shim.patch()` in a Python harness, or `skvm-shim proxy` for any harness.
    """
    ctx.obj = CliState(home=home, verbose=verbose)


def run(*args: Any) -> None:  # pragma: no cover - console entry
    main(*args)
