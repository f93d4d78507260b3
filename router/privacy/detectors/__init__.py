"""Detectors: each turns text into typed `Finding`s.

`Detector` is the seam; `default_detectors()` returns the ones Tandem runs.
"""
