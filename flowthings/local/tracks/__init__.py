"""tracks (docstring written in the next commit)."""
