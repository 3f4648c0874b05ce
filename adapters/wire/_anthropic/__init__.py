"""Anthropic Messages internals: request parsing, response parsing, rendering."""
