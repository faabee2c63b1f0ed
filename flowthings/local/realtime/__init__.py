"""realtime (docstring written in the next commit)."""
