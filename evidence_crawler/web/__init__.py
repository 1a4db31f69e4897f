"""The investigator's workbench: a local web app over the evidence store (``evidence-crawler ui``).

Server-rendered pages (FastAPI + Jinja2, autoescaped) and a JSON API over the same read side as the CLI
(``services/``). It never changes sealed evidence: its only actions (export, verify an upload, run a schedule
now) go through the CLI's services and are recorded in custody as the CLI records them. Everything a shop
wrote is hostile text: escaped, shown under a CSP without scripts from anywhere but the app, and artifacts are
downloads (``Content-Disposition``, ``nosniff``), never HTML rendered on the app's origin.

Layer: like ``services`` (it composes them); only ``commands/ui.py`` imports it.
"""
