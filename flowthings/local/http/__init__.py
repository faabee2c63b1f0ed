"""http (docstring written in the next commit)."""
