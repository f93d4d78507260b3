"""Benchmarks: scripts run as `python benchmarks/NAME.py`; tests import some as modules."""
