"""analytics (docstring written in the next commit)."""
