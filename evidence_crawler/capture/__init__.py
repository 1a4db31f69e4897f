"""The capture core: one capture's working files, its lifecycle and its sealing, with no Scrapy in it.

``pipelines/`` feeds it from a Scrapy crawl; the distributed merge and salvage seal through it directly.
"""
