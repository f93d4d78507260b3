"""The Models section's off-device endpoints: list, edit, keys, prices, tests."""
