"""``skvm-shim profiles``: import SkVM-data profiles, list and show them, alias model ids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from adapters.harnesses import HARNESS_IDS
from compiler import MONOTONE_RULE, PRIMITIVES, TCP, ProfileLoadError
from compiler.model_ids import model_key
from compiler.profiles import read_profile_file, read_profile_folder
from skvm_shim.cli.common import echo_json, json_option
from skvm_shim.cli.store_access import BadInput, console, open_store
from skvm_shim.models import add_alias, load_aliases, normalize_model, remove_alias
from skvm_shim.profiles_store import ImportOutcome, ProfileStore, StoredProfile
from skvm_shim.store import StoreUnavailable


def read_profiles(path: Path) -> list[tuple[TCP, str]]:
    """Profiles at ``path``: one file, one ``<harness>/<model>`` folder, or a tree of them."""
    if path.is_file():
        return [(read_profile_file(path), str(path))]
    if not path.is_dir():
        raise ProfileLoadError(f"{path}: no such file or directory")
    if (path / "latest.json").is_file() or any(p.is_file() for p in path.glob("v_*.json")):
        return [(read_profile_folder(path), str(path))]
    # The folders read_profile_tree reads, kept with their paths (all read before any import).
    out = [
        (read_profile_folder(folder), str(folder))
        for harness_dir in sorted(p for p in path.iterdir() if p.is_dir())
        for folder in sorted(p for p in harness_dir.iterdir() if p.is_dir())
        if (folder / "latest.json").is_file() or any(folder.glob("v_*.json"))
    ]
    if not out:
        raise ProfileLoadError(f"{path}: no <harness>/<model>/ profile folders in it")
    return out


@click.group()
def profiles() -> None:
    """Target Capability Profiles: what each (model, harness) can do, per primitive and level."""


@profiles.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@json_option
@click.pass_context
def import_(ctx: click.Context, path: Path, as_json: bool) -> None:
    """Import SkVM-data profiles from PATH (a profile tree, one model folder, or one file).

    Each profile is stored under (model key, harness); importing again changes nothing, and a
    stored profile that is complete and newer is kept. Levels are made monotone on import.
    """
    try:
        found = read_profiles(path)
    except ProfileLoadError as exc:
        raise BadInput(str(exc)) from None
    with open_store(ctx) as store:
        try:
            outcomes = ProfileStore(store).import_many(found)
        except StoreUnavailable as exc:
            raise click.ClickException(f"store unavailable: {exc}") from None
    if as_json:
        echo_json([_outcome_json(o) for o in outcomes])
        return
    table = Table(title=f"Profiles imported from {path}", title_justify="left")
    for col in ("harness", "model", "key", "status", "profile", "adjusted"):
        table.add_column(col, justify="right" if col == "adjusted" else "left")
    for o in outcomes:
        table.add_row(
            o.tcp.harness,
            o.tcp.model + (" (partial)" if o.tcp.is_partial else ""),
            model_key(o.tcp.model),
            o.status,
            o.tcp.profile_id[:16],
            str(o.adjustments),
        )
    out = console()
    out.print(table)
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in _STATUSES}
    adjusted = sum(o.adjustments for o in outcomes)
    out.print(
        ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        + f"; {adjusted} levels adjusted by the monotone rule ({MONOTONE_RULE})."
    )


_STATUSES = ("imported", "updated", "unchanged", "kept-stored")


def _outcome_json(o: ImportOutcome) -> dict[str, Any]:
    return {
        "harness": o.tcp.harness,
        "model": o.tcp.model,
        "model_key": model_key(o.tcp.model),
        "status": o.status,
        "profile_id": o.tcp.profile_id,
        "replaced": o.replaced,
        "partial": o.tcp.is_partial,
        "profiled_at": o.tcp.profiled_at,
        "source": o.source,
        "adjustments": {pid: [_lv(m), _lv(e)] for pid, (m, e) in sorted(o.tcp.adjustments.items())},
    }


def _lv(level: object) -> str | None:
    return None if level is None else str(level)


@profiles.command("list")
@json_option
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List the stored profiles."""
    with open_store(ctx) as store:
        ps = ProfileStore(store)
        records = ps.records()
        tcps = {r.profile_id: r.tcp() for r in records}
    if as_json:
        echo_json([_record_json(r, tcps[r.profile_id]) for r in records])
        return
    if not records:
        click.echo("No profiles stored. Import some: skvm-shim profiles import DIR")
        return
    table = Table()
    for col in ("key", "harness", "model", "profiled at", "partial", "adjusted", "profile"):
        table.add_column(col)
    for r in records:
        table.add_row(
            r.model_key,
            r.harness,
            r.model,
            r.profiled_at,
            "yes" if r.is_partial else "",
            str(len(tcps[r.profile_id].adjustments)),
            r.profile_id[:16],
        )
    console().print(table)


def _record_json(r: StoredProfile, tcp: TCP) -> dict[str, Any]:
    return {
        "model_key": r.model_key,
        "harness": r.harness,
        "model": r.model,
        "profile_id": r.profile_id,
        "profiled_at": r.profiled_at,
        "partial": r.is_partial,
        "source": r.source,
        "adjustments": len(tcp.adjustments),
    }


@profiles.command("show")
@click.argument("model")
@click.option(
    "--harness",
    type=click.Choice(HARNESS_IDS),
    default="generic",
    show_default=True,
    help="Harness to look the profile up for (the lookup falls back to bare-agent, then any).",
)
@json_option
@click.pass_context
def show(ctx: click.Context, model: str, harness: str, as_json: bool) -> None:
    """Show the profile the lookup finds for MODEL: measured and effective level per primitive."""
    with open_store(ctx) as store:
        match = ProfileStore(store).find(model, harness)
        key = normalize_model(model, load_aliases(store))
    if match is None:
        raise click.ClickException(f"no stored profile for {model!r} (key {key!r})")
    tcp = match.tcp
    rows: list[dict[str, Any]] = []
    for p in PRIMITIVES:
        evidence = [
            {"level": str(e.level), "passes": e.passes, "total": e.effective}
            for e in tcp.evidence(p.id)
        ]
        rows.append(
            {
                "primitive": p.id,
                "measured": _lv(tcp.measured_level(p.id)),
                "effective": _lv(tcp.level(p.id)),
                "evidence": evidence,
            }
        )
    if as_json:
        echo_json(
            {
                "model": tcp.model,
                "model_key": key,
                "harness": tcp.harness,
                "match": match.kind,
                "profile_id": tcp.profile_id,
                "profiled_at": tcp.profiled_at,
                "partial": tcp.is_partial,
                "rule": MONOTONE_RULE,
                "primitives": rows,
            }
        )
        return
    title = f"{tcp.model} under {tcp.harness} ({match.kind} match for {model!r}, key {key})"
    table = Table(title=title, title_justify="left")
    for col in ("primitive", "measured", "effective", "evidence (passes/total per level)"):
        table.add_column(col)
    for row in rows:
        changed = row["measured"] != row["effective"]
        table.add_row(
            row["primitive"],
            row["measured"] or "-",
            f"[bold]{row['effective'] or '-'}[/bold]" if changed else (row["effective"] or "-"),
            "  ".join(f"{e['level']} {e['passes']}/{e['total']}" for e in row["evidence"]),
        )
    console().print(table)


@profiles.command("alias")
@click.argument("source", required=False)
@click.argument("target", required=False)
@click.option("--remove", "remove", metavar="MODEL", help="Remove the alias of MODEL.")
@json_option
@click.pass_context
def alias(
    ctx: click.Context, source: str | None, target: str | None, remove: str | None, as_json: bool
) -> None:
    """Make model id SOURCE stand for TARGET (both profile lookup and variant keys use it).

    Without arguments, list the aliases.
    """
    with open_store(ctx) as store:
        if remove is not None:
            if not remove_alias(store, remove):
                raise click.ClickException(f"no alias for {remove!r}")
        elif source is not None or target is not None:
            if source is None or target is None:
                raise click.UsageError("give both SOURCE and TARGET")
            try:
                add_alias(store, source, target)
            except ValueError as exc:
                raise BadInput(str(exc)) from None
        aliases = load_aliases(store)
        keys = {s: normalize_model(s, aliases) for s in aliases}
    if as_json:
        echo_json([{"source": s, "target": t, "key": keys[s]} for s, t in aliases.items()])
        return
    if not aliases:
        click.echo("No model aliases.")
        return
    for s, t in aliases.items():
        click.echo(f"{s} -> {t}  (key {keys[s]})")
