"""Repertoire matching: which works of a rights holder's catalogue a captured shop offers, and at what price.

Pure functions and small frozen records, no Scrapy and no store access: the CLI and the capture core feed
them a catalogue file and a capture's items and store what comes back (see docs/repertoire.md).
"""
