"""core (docstring written in the next commit)."""
