"""What every subcommand shares: settings, JSON output, OTLP flags, clean errors."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from skvm_shim.config import Settings
from skvm_shim.telemetry.provider import JAEGER_OTLP_HTTP

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class CliState:
    home: str | None = None
    verbose: int = 0

    def settings(self) -> Settings:
        try:
            settings = Settings.from_env()
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        if self.home:
            settings = settings.model_copy(update={"home": Path(self.home).expanduser()})
        return settings

    def configure_logging(self) -> None:
        level = logging.WARNING - 10 * min(self.verbose, 2)
        logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def state(ctx: click.Context) -> CliState:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, CliState) else CliState()


def json_option(fn: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")(fn)


def otlp_options(fn: F) -> F:
    """``--otlp-endpoint URL`` and ``--jaeger`` (= ``--otlp-endpoint http://127.0.0.1:4318``)."""

    @click.option(
        "--otlp-endpoint",
        metavar="URL",
        help="Export spans by OTLP/HTTP to URL (default: the OTEL_* environment variables).",
    )
    @click.option("--jaeger", is_flag=True, help=f"Export spans to Jaeger at {JAEGER_OTLP_HTTP}.")
    @functools.wraps(fn)
    def wrapper(*args: Any, otlp_endpoint: str | None, jaeger: bool, **kwargs: Any) -> Any:
        return fn(
            *args, otlp_endpoint=otlp_endpoint or (JAEGER_OTLP_HTTP if jaeger else None), **kwargs
        )

    return wrapper  # type: ignore[return-value]


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
