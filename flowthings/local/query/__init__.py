"""query (docstring written in the next commit)."""
