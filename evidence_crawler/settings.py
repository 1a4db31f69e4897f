"""Scrapy settings: component wiring (dotted paths + order numbers); values come from an ``EvidenceConfig``.

The config is read once by the caller and handed to ``crawl_settings``. ``scrapy.cfg`` points here too, so
``scrapy crawl storefront -a profile=FILE`` gets the same evidence components; that path has no caller to
hand a config, so the ``ConfigFromEnvironment`` add-on reads one from ``EVIDENCE_*`` when the crawler is made.
"""

from __future__ import annotations

from scrapy.settings import BaseSettings, Settings

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
# Scrapy's HTTP/1.1 handler on connections that keep each exchange's bytes for the WARC (see the module)
DOWNLOAD_HANDLERS = {"http": "pipelines.wire.WireTapDownloadHandler", "https": "pipelines.wire.WireTapDownloadHandler"}
ITEM_PIPELINES = {"pipelines.items.ItemRecordPipeline": 300}
# Opened before the downloader and pipelines exist; every evidence component finds the session on the crawler
EXTENSIONS = {"pipelines.session.CaptureSessionExtension": 0,
              # NotConfigured unless this process is a worker of a distributed capture (crawl --redis)
              "evidence_crawler.distributed.scrapy_worker.DistributedWorkerExtension": 10,
              # last, so that it freezes the heap once the capture is open (see the module)
              "pipelines.heapfreeze.StartupHeapFreeze": 1000}
GC_FREEZE_ENABLED = True
# ``scrapy crawl`` has no caller to hand a config: this add-on reads one (crawl_settings leaves it out)
ADDONS = {f"{__name__}.ConfigFromEnvironment": 0}

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

# Politeness: AutoThrottle adapts to the server's latency; a short start delay keeps small captures quick.
AUTOTHROTTLE_START_DELAY = 0.25
AUTOTHROTTLE_MAX_DELAY = 10.0


class ConfigFromEnvironment:
    """Scrapy add-on: ``EvidenceConfig()`` at add-on priority, below the project's wiring and ``-s NAME=VALUE``."""

    def update_settings(self, settings: BaseSettings) -> None:
        settings.update(EvidenceConfig().scrapy_settings(), priority="addon")


def crawl_settings(config: EvidenceConfig) -> Settings:
    """This module's wiring plus ``config``'s values (over the wiring); the environment is not read again."""
    settings = Settings()
    settings.setmodule(__name__, priority="project")
    settings.set("ADDONS", {k: v for k, v in ADDONS.items() if not k.endswith(".ConfigFromEnvironment")},
                 priority="project")
    settings.update(config.scrapy_settings(), priority="cmdline")
    return settings
