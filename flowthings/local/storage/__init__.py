"""storage (docstring written in the next commit)."""
