"""base (docstring written in the next commit)."""
