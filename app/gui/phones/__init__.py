"""The Phones section: serve Tandem on the LAN, pair phones, revoke them."""
