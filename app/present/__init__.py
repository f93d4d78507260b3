"""What the CLI and the GUI both show: turn labels, team summaries, snippets, config snippets."""
