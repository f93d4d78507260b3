"""The Privacy section: rules, detectors, a test bench and the log."""
