"""The package version (one place)."""

__version__ = "2.0.0"
