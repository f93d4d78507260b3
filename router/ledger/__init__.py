"""Persistence: the ledger file and everything in it, through one `Database` (database.py).

Turns and sessions (store.py), the requests that left the device (sent.py),
rolling summaries (summaries.py) and privacy placeholders (pseudonyms.py); the
tables and their migrations are in schema.py.
"""
