"""The Models section: the local model, the setup check, routing, budgets and endpoints."""
