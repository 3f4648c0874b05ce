"""LLM-backed analysers, used when a compiler model is configured. Same interfaces as the
rule-based ones; every request carries the shim-internal marker header."""

from compiler.llm.client import JsonLlm, LlmError, make_llm
from compiler.llm.structured import LlmCallReport, call_structured

__all__ = ["JsonLlm", "LlmCallReport", "LlmError", "call_structured", "make_llm"]
