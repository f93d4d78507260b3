"""Persistence: the ledger file and everything in it, through one `Database` (database.py).

Turns and sessions (store.py), the requests that left the device (a turn's
messages in sent.py, every HTTP request at the wire in wire_log.py), rolling
summaries (summaries.py) and privacy placeholders (pseudonyms.py); the
tables and their migrations are in schema.py.
"""
