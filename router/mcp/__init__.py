"""Tandem as an MCP host: connects to MCP servers and runs their tools for the models."""
