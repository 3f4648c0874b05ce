"""Chat Completions internals: request parsing, response parsing, rendering."""
