"""Who hosts, names, secures, serves and pays for a shop, recorded as evidence (issue 18).

Pure library: no Scrapy, no store, no global state. A capture calls :func:`run.run` with the hosts,
server IPs and captured pages; it gets back a typed report whose raw exchanges become WARC records
(:mod:`.records`) and whose intermediary list goes into the manifest.
"""
