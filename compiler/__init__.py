"""skvm-shim's skill compiler: SCR extraction, gap analysis, passes 1-3, guard, variants.

Imports neither ``skvm_shim`` nor ``adapters``; harness facts arrive as plain data
(``HarnessFacts``). Pure functions and pydantic models, with file I/O in ``load_skill_dir``,
``read_profile_*`` and ``write_variant_folder`` only.
"""

from compiler.artifacts import (
    VariantReadError,
    VariantWriteError,
    read_variant_folder,
    write_variant_folder,
)
from compiler.deps import Dependency, EnvManifest, extract_dependencies
from compiler.envsetup import PresenceCache, local_probe, render_env_note, render_env_setup
from compiler.gaps import Gap, GapReport, Transform, analyse_gaps, choose_transforms
from compiler.guard import GuardResult, run_guard
from compiler.harness import HarnessFacts
from compiler.levels import Level
from compiler.marker import INTERNAL_HEADER, INTERNAL_HEADER_VALUE, INTERNAL_HEADERS
from compiler.model_ids import ModelAliases, model_key
from compiler.pipeline import compile_skill
from compiler.primitives import CATALOGUE, PRIMITIVES, Category, Primitive, get_primitive
from compiler.profile_lookup import ProfileMatch, find_profile
from compiler.profiles import (
    ProfileLoadError,
    read_profile_file,
    read_profile_folder,
    read_profile_tree,
)
from compiler.scr import SCR, Evidence, Purpose, Requirement, Span
from compiler.skill import BundleFile, SkillLoadError, SkillSource, load_skill_dir, parse_skill
from compiler.tcp import MONOTONE_RULE, TCP
from compiler.variant import CompileResult, Provenance, Variant
from compiler.version import COMPILER_VERSION
from compiler.workflow import PASS3_HEADING, ParallelGroup, WorkflowDAG

__version__ = COMPILER_VERSION

__all__ = [
    "CATALOGUE",
    "COMPILER_VERSION",
    "INTERNAL_HEADER",
    "INTERNAL_HEADERS",
    "INTERNAL_HEADER_VALUE",
    "MONOTONE_RULE",
    "PASS3_HEADING",
    "PRIMITIVES",
    "SCR",
    "TCP",
    "BundleFile",
    "Category",
    "CompileResult",
    "Dependency",
    "EnvManifest",
    "Evidence",
    "Gap",
    "GapReport",
    "GuardResult",
    "HarnessFacts",
    "Level",
    "ModelAliases",
    "ParallelGroup",
    "PresenceCache",
    "Primitive",
    "ProfileLoadError",
    "ProfileMatch",
    "Provenance",
    "Purpose",
    "Requirement",
    "SkillLoadError",
    "SkillSource",
    "Span",
    "Transform",
    "Variant",
    "VariantReadError",
    "VariantWriteError",
    "WorkflowDAG",
    "analyse_gaps",
    "choose_transforms",
    "compile_skill",
    "extract_dependencies",
    "find_profile",
    "get_primitive",
    "load_skill_dir",
    "local_probe",
    "model_key",
    "parse_skill",
    "read_profile_file",
    "read_profile_folder",
    "read_profile_tree",
    "read_variant_folder",
    "render_env_note",
    "render_env_setup",
    "run_guard",
    "write_variant_folder",
]
