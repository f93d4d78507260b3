"""Reproducible measurements: each script prints its tables (see README.md here)."""
