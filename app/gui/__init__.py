"""The Flet GUI: `main.py` starts it; one package per section of the navigation.

Each section package has `view.py` (Flet controls) and `view_model.py` (its state
and actions, no Flet): chat (with conversations/ and detail/), team, privacy,
models (with endpoints/), mcp and dashboard. `shell/` is the frame around them,
`widgets/` holds controls the sections share, and `services/` what runs beside
the pages (the app's MCP server, the camera and sensors bridges, consent).
"""
