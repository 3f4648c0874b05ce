"""``skvm-shim proxy``: serve the pipeline on an OpenAI- and Anthropic-compatible endpoint."""

from __future__ import annotations

import contextlib
import logging
import os

import click

from skvm_shim.cli.common import otlp_options, state
from skvm_shim.proxy import (
    DEFAULT_PORT,
    DEFAULT_UPSTREAM_ANTHROPIC,
    DEFAULT_UPSTREAM_OPENAI,
    MAX_BODY,
    TOKEN_ENV,
    TOKEN_HEADER,
    BindRefused,
    ProxyApp,
)
from skvm_shim.proxy.auth import check_bind
from skvm_shim.proxy.forward import DEFAULT_TIMEOUT_S
from skvm_shim.proxy.harness_env import render
from skvm_shim.proxy.server import connect_host, quiet_upstream_cuts, server_config
from skvm_shim.serving import bind_socket

_MIB = 1024 * 1024


@click.command()
@click.option(
    "--upstream-openai",
    envvar="SKVM_UPSTREAM_OPENAI",
    default=DEFAULT_UPSTREAM_OPENAI,
    show_default=True,
    metavar="URL",
    help="OpenAI-compatible base URL, with /v1 (env SKVM_UPSTREAM_OPENAI).",
)
@click.option(
    "--upstream-anthropic",
    envvar="SKVM_UPSTREAM_ANTHROPIC",
    default=DEFAULT_UPSTREAM_ANTHROPIC,
    show_default=True,
    metavar="URL",
    help="Anthropic base URL, without /v1 (env SKVM_UPSTREAM_ANTHROPIC).",
)
@click.option(
    "--host", envvar="SKVM_PROXY_HOST", default="127.0.0.1", show_default=True, help="Address."
)
@click.option("--port", envvar="SKVM_PROXY_PORT", type=int, default=DEFAULT_PORT, show_default=True)
@click.option(
    "--allow-remote",
    is_flag=True,
    help=f"Allow a non-loopback --host; requires {TOKEN_ENV}, which clients send in the"
    f" {TOKEN_HEADER} header.",
)
@click.option(
    "--skills",
    "skill_paths",
    multiple=True,
    type=click.Path(exists=True),
    help="A skill folder or a folder of skill folders (repeatable; adds to SKVM_SKILLS_PATH).",
)
@click.option(
    "--max-body",
    type=click.IntRange(min=1),
    default=MAX_BODY // _MIB,
    show_default=True,
    help="Largest request body accepted, in MiB.",
)
@click.option(
    "--upstream-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIMEOUT_S,
    show_default=True,
    help="Seconds to wait for the upstream between bytes.",
)
@click.option("--print-env", is_flag=True, help="Print the settings for each harness, then exit.")
@otlp_options
@click.pass_context
def proxy(
    ctx: click.Context,
    *,
    upstream_openai: str,
    upstream_anthropic: str,
    host: str,
    port: int,
    allow_remote: bool,
    skill_paths: tuple[str, ...],
    max_body: int,
    upstream_timeout: float,
    print_env: bool,
    otlp_endpoint: str | None,
) -> None:
    """Serve an OpenAI- and Anthropic-compatible endpoint that runs every LLM call through the
    shim (skill variants, replay, spans) and forwards it to the real API.

    \b
    Endpoints: POST /v1/chat/completions, /v1/responses, /v1/messages; every other /v1/... path
    passes through (/v1/messages/*: Anthropic; /v1/chat/*, /v1/responses/*: OpenAI; anything
    else: Anthropic when the request has an anthropic-version or x-api-key header, else OpenAI).
    Prefix a path with /h/HARNESS to name the harness. GET /healthz answers {"status": "ok"}.
    """
    token = os.environ.get(TOKEN_ENV) or None
    try:
        check_bind(host, allow_remote=allow_remote, token=token)
    except BindRefused as exc:
        raise click.ClickException(str(exc)) from exc
    base_url = f"http://{connect_host(host)}:{port}"
    if print_env:
        click.echo(render(base_url, token=token is not None), nl=False)
        return
    cli = state(ctx)
    cli.configure_logging()
    for name in ("httpx2", "httpcore2", "httpx", "httpcore"):
        # URLs and connection details only; never at a level that could reach a log by default.
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))
    import uvicorn

    from skvm_shim.runtime import Runtime

    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from exc
    runtime = Runtime(cli.settings(), skills=skill_paths, otlp_endpoint=otlp_endpoint)
    try:
        app = ProxyApp(
            runtime,
            upstream_openai=upstream_openai,
            upstream_anthropic=upstream_anthropic,
            token=token,
            max_body=max_body * _MIB,
            upstream_timeout=upstream_timeout,
        )
        for problem in runtime.problems:
            click.echo(f"warning: {problem}", err=True)
        click.echo(f"skvm-shim proxy on {base_url}")
        click.echo(f"  OpenAI upstream:    {upstream_openai}   (clients: {base_url}/v1)")
        click.echo(f"  Anthropic upstream: {upstream_anthropic}   (clients: {base_url})")
        click.echo(f"  {len(runtime.registry)} skill(s) known; state in {runtime.settings.home}")
        if token:
            click.echo(f"  access token required in the {TOKEN_HEADER} header")
        click.echo("  `skvm-shim proxy --print-env` shows each harness's settings. Ctrl-C stops.")
        quiet_upstream_cuts()
        config = server_config(
            app,
            log_level="debug" if cli.verbose >= 2 else "info" if cli.verbose else "warning",
            access_log=cli.verbose >= 1,
        )
        # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal: Ctrl-C
        # arrives here as KeyboardInterrupt (a normal stop), SIGTERM ends the process by it.
        with contextlib.suppress(KeyboardInterrupt):
            uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        runtime.close()
