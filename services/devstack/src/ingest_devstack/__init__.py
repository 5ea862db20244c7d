"""The local stack: real Redis, SeaweedFS, API and workers on loopback."""
