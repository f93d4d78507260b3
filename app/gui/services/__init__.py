"""What runs beside the pages: the app's MCP server, the camera and sensors bridges, consent."""
