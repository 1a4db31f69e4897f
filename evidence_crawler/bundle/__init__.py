"""Evidence bundles: WACZ packaging, signing, RFC 3161 timestamps, the report, and the offline verifier.

Nothing here imports Scrapy or the store: ``verify`` runs on a machine that has only the bundle.
"""
