"""Contracts shared by the ingest API and the ingest workers."""

__version__ = "0.1.0"
