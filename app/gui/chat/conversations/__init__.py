"""The chat's conversation list: search, new, open, rename and delete."""
