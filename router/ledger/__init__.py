"""Persistence: the ledger file and everything in it, through one `Database` (database.py).

Turns and sessions (store.py), the requests that left the device (a turn's
messages in sent.py, every HTTP request at the wire in wire_log.py), rolling
summaries (summaries.py), privacy placeholders (pseudonyms.py), and the user's
ratings of answers and re-answer pairs (feedback.py); the tables and their
migrations are in schema.py.
"""
