"""Settings: the config file, its on-disk store and the keyring-backed secrets."""
