"""The Dashboard section: where turns ran, spend, latency and privacy events."""
