"""Device capabilities (files, camera, sensors, the assistant itself) as MCP servers.

Empty for now: the MCP issue adds the servers and the MCP host here.
"""
