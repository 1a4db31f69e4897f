"""Scrapy settings are built from a config given to them; only ``scrapy crawl`` reads the environment, late."""

from __future__ import annotations

import os
import subprocess
import sys

from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from evidence_crawler import settings as project
from evidence_crawler.config import EvidenceConfig
from evidence_crawler.profile import load_profile
from spiders.storefront import StorefrontSpider
from tests.conftest import PROFILES, ROOT


def test_importing_the_settings_module_reads_no_config():
    env = {**os.environ, "EVIDENCE_CONCURRENCY": "not a number"}  # EvidenceConfig() would raise on it
    subprocess.run([sys.executable, "-c", "import evidence_crawler.settings"], env=env, cwd=ROOT, check=True,
                   timeout=60)


def test_crawl_settings_carry_the_given_config_over_the_wiring_and_skip_the_environment(monkeypatch):
    monkeypatch.setenv("EVIDENCE_CONCURRENCY", "3")
    settings = project.crawl_settings(EvidenceConfig(concurrency=7, max_parse_bytes=1234, store="s"))
    assert settings.getint("CONCURRENT_REQUESTS") == 7 and settings["EVIDENCE_STORE"] == "s"
    assert settings.getint("EVIDENCE_MAX_PARSE_BYTES") == 1234
    assert settings.getdict("ADDONS") == {}
    assert settings.getdict("DOWNLOADER_MIDDLEWARES")["pipelines.record.WarcRecorderMiddleware"] == 950


def test_the_scrapy_crawl_addon_reads_the_environment_below_command_line_settings(monkeypatch):
    monkeypatch.setenv("EVIDENCE_CONCURRENCY", "3")
    monkeypatch.setenv("EVIDENCE_DOWNLOAD_DELAY_S", "1.5")
    settings = Settings()
    settings.setmodule(project, priority="project")
    settings.set("DOWNLOAD_DELAY", 9, priority="cmdline")  # scrapy crawl -s DOWNLOAD_DELAY=9
    assert list(settings.getdict("ADDONS")) == ["evidence_crawler.settings.ConfigFromEnvironment"]
    project.ConfigFromEnvironment().update_settings(settings)
    assert settings.getint("CONCURRENT_REQUESTS") == 3 and settings.getfloat("DOWNLOAD_DELAY") == 9


def test_the_spider_takes_its_parse_cap_from_the_setting_and_its_default_from_config():
    loaded = load_profile(PROFILES / "allofmp3-demo.yaml")
    assert StorefrontSpider(loaded_profile=loaded).max_parse_bytes == 8 << 20  # config.py's default
    crawler = get_crawler(StorefrontSpider, {"EVIDENCE_MAX_PARSE_BYTES": 4096})
    assert StorefrontSpider.from_crawler(crawler, loaded_profile=loaded).max_parse_bytes == 4096
