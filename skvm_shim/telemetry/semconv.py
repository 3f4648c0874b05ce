"""Attribute and span names, in one place: GenAI conventions (Development status) and ours.

The ``gen_ai.*`` names follow the latest experimental GenAI semantic conventions; everything the
shim's own logic reads (adaptation, ``jit``) lives under ``skvm.*`` so it does not depend on names
that may still change upstream.
"""

from __future__ import annotations

SCOPE = "skvm_shim"
SCHEMA_URL = "https://opentelemetry.io/schemas/1.37.0"

OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"
REQUEST_MODEL = "gen_ai.request.model"
REQUEST_STREAM = "gen_ai.request.stream"
RESPONSE_MODEL = "gen_ai.response.model"
RESPONSE_ID = "gen_ai.response.id"
FINISH_REASONS = "gen_ai.response.finish_reasons"
TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
CACHE_READ_TOKENS = "gen_ai.usage.cache_read.input_tokens"
CACHE_CREATION_TOKENS = "gen_ai.usage.cache_creation.input_tokens"
REASONING_TOKENS = "gen_ai.usage.reasoning.output_tokens"
CONVERSATION_ID = "gen_ai.conversation.id"
TOOL_NAME = "gen_ai.tool.name"
TOOL_CALL_ID = "gen_ai.tool.call.id"
TOOL_TYPE = "gen_ai.tool.type"
ERROR_TYPE = "error.type"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"

MODE = "skvm.mode"
WIRE_FORMAT = "skvm.wire_format"
HARNESS = "skvm.harness"
SKILLS_DETECTED = "skvm.skills.detected"
SKILLS_LISTED = "skvm.skills.listed"
SKILLS_PARTIAL = "skvm.skills.partial"
SKILLS_STRUCTURED = "skvm.skills.structured"
SKILLS_REGISTERED = "skvm.skills.registered"
VARIANT_IDS = "skvm.variant.ids"
REWRITTEN = "skvm.rewritten"
BYTES_SAVED = "skvm.bytes_saved"
COMPILE_REQUESTED = "skvm.compile_requested"
FAULTS = "skvm.faults"
SYNTHETIC = "skvm.synthetic"
TOOL_OUTCOME = "skvm.tool.outcome"
STREAM_CUT = "skvm.stream.incomplete"
