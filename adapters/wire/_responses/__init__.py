"""Responses internals: item tables, request parsing, response parsing, rendering."""
