"""The version of workos-sso, written here only (pyproject reads it from this file)."""

__version__ = "0.1.0"
