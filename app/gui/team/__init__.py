"""The Team section: several agents answer one question together."""
