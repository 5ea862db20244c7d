"""Ingest workers: the Celery app, its tasks and the article pipeline."""
