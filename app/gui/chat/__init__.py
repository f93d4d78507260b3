"""The Chat section: the conversation, its list, attachments, camera, team mode, details."""
