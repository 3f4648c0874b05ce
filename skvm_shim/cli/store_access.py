"""Opening the store for the compile, variants and profiles commands, and their clean errors."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.console import Console

from skvm_shim.cli.common import state
from skvm_shim.store import Store


class BadInput(click.ClickException):
    """Input the command cannot use (a file named in the message): exit code 2, no traceback."""

    exit_code = 2


@contextmanager
def open_store(ctx: click.Context) -> Iterator[Store]:
    """The store under ``$SKVM_HOME``; a clean error (exit 1) when it cannot be opened."""
    settings = state(ctx).settings()
    store = Store.open(settings.store_path)
    try:
        info = store.info()
        if not info.available:
            raise click.ClickException(
                f"store at {settings.store_path} is unavailable: {info.disabled_reason}"
            )
        yield store
    finally:
        store.close()


_PIPE_WIDTH = 160
"""Width of tables written to a pipe or file (a terminal uses its own width)."""


def console(*, err: bool = False) -> Console:
    """A rich console: plain text when the output is not a terminal, with room for tables."""
    stream = sys.stderr if err else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS") else _PIPE_WIDTH
    return Console(stderr=err, highlight=False, width=width)
