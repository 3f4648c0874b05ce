"""``skvm-shim variants``: what each (skill, model, harness) serves, and the variants themselves."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import click
from rich.table import Table

from skvm_shim.cli.common import echo_json, json_option, state
from skvm_shim.cli.store_access import console, open_store
from skvm_shim.records import (
    ORIGINAL,
    SKILLS,
    VARIANT_SETS,
    VARIANTS,
    Switch,
    VariantRecord,
    VariantSet,
)
from skvm_shim.skills.model import Skill
from skvm_shim.skills.registry import SkillRegistry
from skvm_shim.store import Store, split_key


@dataclass(frozen=True, slots=True)
class _Key:
    skill_hash: str
    model: str
    harness: str

    @classmethod
    def parse(cls, key: str) -> _Key:
        skill_hash, model, harness = split_key(key)
        return cls(skill_hash, model, harness)


def _sets(store: Store) -> list[tuple[str, VariantSet]]:
    return list(store.scan(VARIANT_SETS))


def _find(store: Store, ident: str) -> VariantRecord:
    """The variant with id ``ident`` (or an unambiguous id prefix)."""
    exact = store.get(VARIANTS, ident)
    if exact is not None:
        return exact
    matches = [r for key, r in store.scan(VARIANTS, ident)] if ident else []
    if not matches:
        raise click.ClickException(f"no variant with id {ident!r}")
    if len(matches) > 1:
        ids = ", ".join(r.id for r in matches[:8])
        raise click.ClickException(f"{ident!r} is ambiguous: {ids}")
    return matches[0]


def _skill_names(store: Store) -> dict[str, str]:
    return {h: s.name for h, s in store.scan(SKILLS)}


def _row(key: str, vs: VariantSet, names: dict[str, str], store: Store) -> dict[str, Any]:
    k = _Key.parse(key)
    record = store.get(VARIANTS, vs.current) if vs.current not in (None, ORIGINAL) else None
    return {
        "skill": record.skill_name if record else names.get(k.skill_hash),
        "skill_hash": k.skill_hash,
        "model": k.model,
        "harness": k.harness,
        "current": vs.current,
        "canary": vs.canary,
        "canary_share": vs.canary_share,
        "holdout_share": vs.holdout_share,
        "switches": len(vs.history),
        "servable": record.servable if record else None,
        "ilp_groups": record.ilp_groups if record else 0,
        "env_deps": len(record.env_deps) if record else 0,
        "origin": record.provenance.get("origin") if record else None,
    }


@click.group()
def variants() -> None:
    """Compiled variants and which (skill, model, harness) serves which."""


@variants.command("list")
@json_option
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List every (skill, model, harness) with a variant set and what it serves."""
    with open_store(ctx) as store:
        names = _skill_names(store)
        rows = [_row(key, vs, names, store) for key, vs in _sets(store)]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No variants. Compile some: skvm-shim compile SKILL_DIR --model M")
        return
    table = Table()
    for col in ("skill", "hash", "model", "harness", "serves", "canary", "switches", "ilp", "deps"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["skill"] or "?",
            r["skill_hash"][:12],
            r["model"],
            r["harness"],
            r["current"] or ORIGINAL,
            r["canary"] or "",
            str(r["switches"]),
            str(r["ilp_groups"] or ""),
            str(r["env_deps"] or ""),
        )
    console().print(table)


@variants.command("show")
@click.argument("variant_id")
@click.option("--text", "with_text", is_flag=True, help="Print the variant's SKILL.md text too.")
@json_option
@click.pass_context
def show(ctx: click.Context, variant_id: str, with_text: bool, as_json: bool) -> None:
    """Show one variant (by id or id prefix): provenance, where it is served, history."""
    with open_store(ctx) as store:
        record = _find(store, variant_id)
        serving = [
            (key, vs)
            for key, vs in _sets(store)
            if record.id in (vs.current, vs.canary)
            or any(record.id in (s.from_id, s.to_id) for s in vs.history)
        ]
    if as_json:
        data = record.model_dump(mode="json")
        data["sets"] = [{**_key_json(k), **vs.model_dump(mode="json")} for k, vs in serving]
        echo_json(data)
        return
    p = record.provenance
    out = console()
    out.rule(f"[bold]{record.skill_name}[/bold]  {record.id}")
    out.print(f"skill hash {record.skill_hash} · model {record.model} · harness {record.harness}")
    out.print(f"servable {record.servable} · ILP groups {record.ilp_groups}")
    if p:
        out.print(
            f"compiler {p.get('compiler_version')} ({p.get('ruleset')}) · passes "
            f"{p.get('passes')} · profile {p.get('profile_model') or 'none'} "
            f"({p.get('profile_match')}) · compiled {p.get('compiled_at')} by {p.get('origin')}"
        )
        out.print(
            f"gaps {len(p.get('gaps') or [])} · transforms {len(p.get('transforms') or [])} · "
            f"edits {len(p.get('edits') or [])} · guard "
            f"{(p.get('guard') or {}).get('passed')}"
        )
        if p.get("folder"):
            out.print(f"folder {p['folder']}")
    if record.env_deps:
        deps = ", ".join(str(d.get("package") or d.get("name")) for d in record.env_deps)
        out.print(f"environment: {deps}")
    for key, vs in serving:
        k = _Key.parse(key)
        role = (
            "current"
            if vs.current == record.id
            else "canary"
            if vs.canary == record.id
            else "former"
        )
        out.print(f"{role} for model {k.model}, harness {k.harness}")
        for s in vs.history:
            out.print(f"  {_when(s)}  {s.from_id or '-'} -> {s.to_id or '-'}  ({s.reason})")
    if with_text:
        out.print()
        click.echo(record.text)


def _key_json(key: str) -> dict[str, str]:
    k = _Key.parse(key)
    return {"skill_hash": k.skill_hash, "model": k.model, "harness": k.harness}


def _when(s: Switch) -> str:
    return datetime.fromtimestamp(s.at_ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


@variants.command("diff")
@click.argument("variant_id")
@json_option
@click.pass_context
def diff(ctx: click.Context, variant_id: str, as_json: bool) -> None:
    """Unified diff of a variant against the original skill text."""
    with open_store(ctx) as store:
        record = _find(store, variant_id)
        original = _original(ctx, store, record.skill_hash)
    if original is None:
        raise click.ClickException(
            f"the original of {record.skill_name} ({record.skill_hash[:12]}) is not known: "
            "add its folder to SKVM_SKILLS_PATH"
        )
    lines = list(
        difflib.unified_diff(
            original.text.splitlines(keepends=True),
            record.text.splitlines(keepends=True),
            fromfile=f"{record.skill_name}/SKILL.md (original {record.skill_hash[:12]})",
            tofile=f"{record.skill_name}/SKILL.md ({record.id})",
        )
    )
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    if as_json:
        echo_json({"variant_id": record.id, "skill_hash": record.skill_hash, "diff": text})
        return
    click.echo(text, nl=False)


def _original(ctx: click.Context, store: Store, skill_hash: str) -> Skill | None:
    stored = store.get(SKILLS, skill_hash)
    if stored is not None:
        return stored
    registry = SkillRegistry()
    registry.add_paths(state(ctx).settings().skills_path)
    return registry.get(skill_hash)


@variants.command("rm")
@click.argument("variant_id")
@click.option("--model", help="Only the set of this model key.")
@click.option("--harness", help="Only the set of this harness.")
@json_option
@click.pass_context
def rm(
    ctx: click.Context, variant_id: str, model: str | None, harness: str | None, as_json: bool
) -> None:
    """Stop serving a variant: the sets that serve it switch to the original (history kept).

    The variant record stays (sessions that already use it keep a byte-stable history).
    """
    changed: list[dict[str, str]] = []
    with open_store(ctx) as store:
        record = _find(store, variant_id)
        with store.transaction() as txn:
            for key, vs in txn.scan(VARIANT_SETS, record.skill_hash):
                k = _Key.parse(key)
                if k.skill_hash != record.skill_hash:
                    continue
                if (model and k.model != model) or (harness and k.harness != harness):
                    continue
                if record.id not in (vs.current, vs.canary):
                    continue
                if vs.canary == record.id:
                    vs.history.append(
                        Switch(
                            from_id=record.id,
                            to_id=None,
                            role="canary",
                            reason="removed: skvm-shim variants rm",
                        )
                    )
                    vs.canary = None
                    vs.canary_share = 0.0
                if vs.current == record.id:
                    vs.history.append(
                        Switch(
                            from_id=record.id,
                            to_id=ORIGINAL,
                            reason="removed: skvm-shim variants rm",
                        )
                    )
                    vs.current = ORIGINAL
                txn.put(VARIANT_SETS, key, vs)
                changed.append(_key_json(key))
    if not changed:
        raise click.ClickException(f"{record.id} is not served by any matching variant set")
    if as_json:
        echo_json({"variant_id": record.id, "removed_from": changed})
        return
    for c in changed:
        click.echo(f"{record.id} removed from model {c['model']}, harness {c['harness']}")
