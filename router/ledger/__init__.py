"""Persistence: the turns of every conversation and the requests that left the device."""
