"""Scrapy settings: component wiring (dotted paths + order numbers) plus values from EvidenceConfig.

``scrapy.cfg`` points here, so ``scrapy crawl storefront -a profile=FILE`` gets the same evidence
components as ``evidence-crawler crawl``; EVIDENCE_* environment variables apply to both.
"""

from evidence_crawler.config import EvidenceConfig

BOT_NAME = "evidence-crawler"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# 950: above HttpCompression (590) and Redirect (600), so the recorder sees raw bodies and every hop.
# 50: the destination guard runs before robots (100), so not even robots.txt of a refused host is fetched.
DOWNLOADER_MIDDLEWARES = {
    "pipelines.guard.DestinationGuardMiddleware": 50,
    "pipelines.record.WarcRecorderMiddleware": 950,
    "pipelines.replay.ResumeReplayMiddleware": 960,  # on resume, recorded pages come from our own WARC
    # 500: below decoding (590) and redirects (600); NotConfigured unless the profile says render: true|all
    "pipelines.render.RenderMiddleware": 500,
    # Scrapy's, with a fix: requests waiting for robots.txt were let through unchecked (see the module)
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "pipelines.robots.RobotsTxtMiddleware": 100,
}
ITEM_PIPELINES = {"pipelines.items.ItemRecordPipeline": 300}
# Opened before the downloader and pipelines exist; every evidence component finds the session on the crawler
EXTENSIONS = {"pipelines.session.CaptureSessionExtension": 0,
              # NotConfigured unless this process is a worker of a distributed capture (crawl --redis)
              "evidence_crawler.distributed.scrapy_worker.DistributedWorkerExtension": 10}

ADDONS: dict = {}
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
TELNETCONSOLE_ENABLED = False
COOKIES_ENABLED = True
HTTPCACHE_ENABLED = False
DEPTH_STATS_VERBOSE = False
DNSCACHE_ENABLED = True
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
# A connection that breaks mid-body still delivered bytes the server sent: keep them (flagged "dataloss",
# recorded as partial) instead of throwing them away as Scrapy does by default.
DOWNLOAD_FAIL_ON_DATALOSS = False
DEPTH_PRIORITY = 1  # breadth-first: the navigation path stays short and readable
LOG_LEVEL = "INFO"

globals().update(EvidenceConfig().scrapy_settings())

# Politeness: AutoThrottle adapts to the server's latency; a short start delay keeps small captures quick.
AUTOTHROTTLE_START_DELAY = 0.25
AUTOTHROTTLE_MAX_DELAY = 10.0
