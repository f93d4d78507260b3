"""What an answer sent and what stayed on this device: the data and the detail panel."""
