"""Settings: the config file (composed from each subsystem's settings) and its on-disk store."""
