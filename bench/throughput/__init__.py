"""End-to-end throughput of the stack over its public HTTP API: ``python -m bench.throughput``."""
