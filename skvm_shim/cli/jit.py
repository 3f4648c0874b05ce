"""``skvm-shim jit``: the solidification templates in the store, their state, counts and slots."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from skvm_shim.cli.common import echo_json, json_option, state
from skvm_shim.jit import admin
from skvm_shim.store import Store, StoreUnavailable


@contextmanager
def _store(ctx: click.Context) -> Iterator[Store]:
    settings = state(ctx).settings()
    try:
        with Store.open(settings.store_path) as store:
            if not store.available:
                raise click.ClickException(f"store at {settings.store_path} is unavailable")
            yield store
    except StoreUnavailable as exc:
        raise click.ClickException(f"store unavailable: {exc}") from exc


@click.group()
def jit() -> None:
    """JIT solidification: tool-call templates learned from traffic (SKVM_JIT=off|shadow|on).

    A template is learned from a skill session's tool calls, checked in shadow mode against the
    model, promoted after SKVM_JIT_PROMOTE (default 3) exact sessions and then replayed without
    the model; SKVM_JIT_DEMOTE (default 2) failed replays in a row demote it again.
    """


@jit.command("list")
@json_option
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List templates with their state, counts and slots."""
    with _store(ctx) as store:
        items = sorted(admin.all_templates(store), key=lambda s: -s.record.updated_ns)
        rows = [admin.summary(store, s) for s in items]
        off = admin.optouts(store)
    if as_json:
        echo_json({"templates": rows, "disabled": off})
        return
    if not rows:
        click.echo("No templates yet: run a skill task through the shim (SKVM_JIT=shadow or on).")
    else:
        click.echo(
            f"{'ID':<17} {'STATE':<9} {'STREAK':>6} {'HITS':>5} {'MISS':>5} {'REPLAY':>6} "
            f"{'FAIL':>4} {'STEPS':>5} {'SLOTS':<14} {'HARNESS':<12} SKILLS"
        )
        for r in rows:
            steps = f"{r['steps']}/{r['total_steps']}" + ("+" if r["final_replayable"] else "")
            click.echo(
                f"{r['id']:<17} {r['state']:<9} {r['streak']:>6} {r['hits']:>5} {r['misses']:>5} "
                f"{r['replays']:>6} {r['replay_failures']:>4} {steps:>5} "
                f"{','.join(r['slots']) or '-':<14} {r['harness']:<12} {', '.join(r['skills'])}"
            )
    if off:
        click.echo("Disabled: " + ", ".join(off))


@jit.command("show")
@click.argument("template_id")
@json_option
@click.pass_context
def show(ctx: click.Context, template_id: str, as_json: bool) -> None:
    """Show one template (by id or id prefix): steps with {{slot}} placeholders, the tasks it
    applies to, the token each slot binds to in its first trace, events."""
    with _store(ctx) as store:
        found = admin.find(store, template_id)
        if not found:
            raise click.ClickException(f"no template with id {template_id!r}")
        if len(found) > 1 and not as_json:
            ids = ", ".join(s.record.id for s in found)
            raise click.ClickException(f"{template_id!r} is ambiguous: {ids}")
        details = [admin.detail(store, s) for s in found]
    if as_json:
        echo_json(details)
        return
    _print_detail(details[0])


def _print_detail(d: dict[str, Any]) -> None:
    click.echo(f"template {d['id']}  [{d['state']}]  skills: {', '.join(d['skills'])}")
    click.echo(f"harness {d['harness']}, tool schema {d['tool_schema']}")
    click.echo(
        f"streak {d['streak']}, hits {d['hits']}, misses {d['misses']}, sessions {d['sessions']}, "
        f"replays {d['replays']} ({d['replay_failures']} failed, {d['failures']} in a row), "
        f"promotions {d['promotions']}, demotions {d['demotions']}"
    )
    spec = d["promoted_spec"] or d["spec"]
    label = "replays" if d["promoted_spec"] else "predicts (shadow)"
    click.echo(f"\n{label}, learned from {spec['traces']} trace(s):")
    for i, step in enumerate(spec["steps"]):
        for call in step["calls"]:
            click.echo(f"  {i}. {call['tool']} {call['arguments']}")
    if spec["stopped"]:
        click.echo(f"  ... then the model ({spec['stopped']})")
    final = spec["final"]
    if final is not None:
        text = final["text"] if final["replayable"] else "(written by the model)"
        click.echo(f"  final: {text}")
    if spec["task"] is not None:
        click.echo(f"\napplies to tasks: {spec['task']}")
    else:
        click.echo("\napplies to no task (its slots sit differently in its traces)")
    if spec["slots"]:
        click.echo("\nslots (the token each binds to in the first trace):")
        for s in spec["slots"]:
            binds = s["binds"]
            if binds is not None:
                value = json.dumps(binds["value"], ensure_ascii=False)
                click.echo(f"  {s['id']} <- {value} in {binds['in']}: {binds['context']}")
            else:
                click.echo(f"  {s['id']} <- (not found in the first trace)")
            lead = f", may start with {s['leads']!r}" if s["leads"] else ""
            examples = ", ".join(repr(e) for e in s["examples"])
            click.echo(f"     {s['class']}{lead}; from {s['from']}; e.g. {examples}")
            for checked in s["checked"]:
                click.echo(f"     must agree with {checked}")
    if d["shadow_differs"]:
        click.echo("\n(a newer spec is in shadow: `--json` shows both)")
    if d["events"]:
        click.echo("\nevents:")
        for e in d["events"][-10:]:
            at = datetime.datetime.fromtimestamp(e["at_ns"] / 1e9).isoformat(timespec="seconds")
            click.echo(f"  {at} {e['kind']} {e['detail']}".rstrip())


@jit.command("reset")
@click.argument("template_ids", nargs=-1)
@click.option("--skill", help="Reset every template of this skill (name or hash prefix).")
@click.option("--all", "everything", is_flag=True, help="Reset every template.")
@click.pass_context
def reset(
    ctx: click.Context, template_ids: tuple[str, ...], skill: str | None, everything: bool
) -> None:
    """Forget templates (and their traces): learning starts over."""
    if not (template_ids or skill or everything):
        raise click.UsageError("name template ids, --skill SKILL or --all")
    with _store(ctx) as store:
        chosen: dict[str, admin.Stored] = {}
        for stored in admin.all_templates(store):
            r = stored.record
            if (
                everything
                or any(r.id.startswith(t) for t in template_ids)
                or (skill is not None and admin.matches_skill(store, r, skill))
            ):
                chosen[stored.key] = stored
        count = admin.reset(store, chosen.values())
    click.echo(f"reset {count} template(s)")


@jit.command("disable")
@click.argument("skill")
@click.option("--hash", "by_hash", is_flag=True, help="SKILL is a content hash, not a name.")
@click.pass_context
def disable(ctx: click.Context, skill: str, by_hash: bool) -> None:
    """Opt a skill out: no learning and no replay for sessions that load it.

    By name the opt-out survives edits of the skill; by hash it covers one version. A skill can
    also opt itself out with `metadata: {skvm-jit: off}` in its frontmatter.
    """
    with _store(ctx) as store:
        key = admin.disable(store, skill, by_hash=by_hash)
    click.echo(f"disabled {key} (takes effect within a second in running shims)")


@jit.command("enable")
@click.argument("skill")
@click.pass_context
def enable(ctx: click.Context, skill: str) -> None:
    """Undo `jit disable SKILL`."""
    with _store(ctx) as store:
        removed = admin.enable(store, skill)
    click.echo(f"enabled {skill}" if removed else f"{skill} was not disabled")
