"""The MCP section: Tandem's own servers, external servers, tools and permissions."""
