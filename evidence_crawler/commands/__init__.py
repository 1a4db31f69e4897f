"""Typer command groups registered on the ``evidence-crawler`` app in ``evidence_crawler/cli.py``."""
