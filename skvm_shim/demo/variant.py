"""Compile the demo's skill for the local model from its committed, measured profile.

Nothing here writes a variant: the profile is imported into the demo's store as
``skvm-shim profiles import`` does, and the skill goes through the one compile path
(``compile_and_publish``) that ``skvm-shim compile`` and the background worker use. Whatever the
compiler decides is what the model gets, including "nothing changed".
"""

from __future__ import annotations

import difflib

from compiler import load_skill_dir, read_profile_folder
from skvm_shim.compilation import compile_and_publish, compile_job
from skvm_shim.demo.assets import Assets
from skvm_shim.demo.summary import GapInfo, VariantInfo
from skvm_shim.profiles_store import ProfileStore
from skvm_shim.shim import Shim

DIFF_CONTEXT = 1


def compile_variant(shim: Shim, assets: Assets, model: str) -> VariantInfo:
    """Import the profile, compile the skill for ``model`` (harness ``generic``), publish."""
    store = shim.store
    if store is None:
        return VariantInfo(
            id=None,
            source="none",
            status="store-failed",
            reason="the shim's store is unavailable: nothing compiled",
        )
    tcp = read_profile_folder(assets.profile)
    profiles = ProfileStore(store)
    profiles.import_tcp(tcp, source=str(assets.profile))
    source = load_skill_dir(assets.skill)
    job = compile_job(source, model=model, harness="generic", store=store, profiles=profiles)
    outcome = compile_and_publish(
        job,
        store=store,
        variants_dir=shim.settings.variants_dir,
        reason="skvm-shim demo",
        origin="demo",
    )
    profile = (
        f"{tcp.model} under {tcp.harness} ({job.profile_kind} match, {tcp.profile_id})"
        if job.tcp is not None
        else None
    )
    gaps = [
        GapInfo(primitive=g.primitive, needs=str(g.required), has=str(g.model))
        for g in outcome.result.gap_report.gaps
    ]
    if outcome.status != "published" or outcome.variant_id is None:
        return VariantInfo(
            id=None,
            source="none",
            status=outcome.status,
            reason=outcome.reason,
            profile=profile,
            gaps=gaps,
        )
    diff = difflib.unified_diff(
        job.skill.text.splitlines(),
        outcome.result.variant.skill_md.splitlines(),
        fromfile="original SKILL.md",
        tofile=f"variant {outcome.variant_id}",
        lineterm="",
        n=DIFF_CONTEXT,
    )
    return VariantInfo(
        id=outcome.variant_id,
        source="compiled",
        status=outcome.status,
        reason=outcome.reason,
        profile=profile,
        gaps=gaps,
        diff=list(diff),
    )
