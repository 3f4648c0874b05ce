"""``skvm-shim skills``: the skills the runtime knows (from folders and from traffic)."""

from __future__ import annotations

import click

from skvm_shim.cli.common import echo_json, json_option, state
from skvm_shim.records import SKILLS
from skvm_shim.skills.model import Skill
from skvm_shim.skills.registry import SkillRegistry
from skvm_shim.store import Store, StoreUnavailable


def _known(ctx: click.Context) -> list[Skill]:
    settings = state(ctx).settings()
    registry = SkillRegistry()
    registry.add_paths(settings.skills_path)
    try:
        with Store.open(settings.store_path) as store:
            for _, skill in store.scan(SKILLS):
                registry.add(skill)
    except StoreUnavailable as exc:
        click.echo(f"warning: store unavailable ({exc}); showing SKVM_SKILLS_PATH only", err=True)
    return sorted(registry, key=lambda s: (s.name, s.hash))


@click.group()
def skills() -> None:
    """Skills known to the runtime: SKVM_SKILLS_PATH folders and skills seen in traffic."""


@skills.command("list")
@json_option
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List known skills."""
    known = _known(ctx)
    if as_json:
        echo_json(
            [
                {
                    "name": s.name,
                    "hash": s.hash,
                    "source": s.source,
                    "location": s.location,
                    "description": s.description,
                }
                for s in known
            ]
        )
        return
    if not known:
        click.echo("No skills known yet. Set SKVM_SKILLS_PATH or run a harness through the shim.")
        return
    for s in known:
        click.echo(f"{s.name:<28} {s.short_hash}  {s.source:<8} {s.location or ''}")


@skills.command("show")
@click.argument("name_or_hash")
@json_option
@click.pass_context
def show(ctx: click.Context, name_or_hash: str, as_json: bool) -> None:
    """Show one skill's text (by name or hash prefix)."""
    matches = [s for s in _known(ctx) if s.name == name_or_hash or s.hash.startswith(name_or_hash)]
    if not matches:
        raise click.ClickException(f"no known skill named or hashed {name_or_hash!r}")
    if len(matches) > 1 and not as_json:
        listing = ", ".join(f"{s.name}@{s.short_hash}" for s in matches)
        raise click.ClickException(f"{name_or_hash!r} is ambiguous: {listing}")
    if as_json:
        echo_json([s.model_dump() for s in matches])
        return
    click.echo(matches[0].text)
