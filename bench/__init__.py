"""Benchmarks for bounced (run as scripts: ``python bench/ingest.py``); shared helpers live here too."""
