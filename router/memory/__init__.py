"""Conversation memory: offline embeddings and the Chroma index of every turn."""
