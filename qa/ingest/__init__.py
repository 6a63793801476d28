"""Ingest: walk the study folder, read every document (in a worker with limits) and cut it into passages."""
