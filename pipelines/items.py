"""ItemRecordPipeline: validate each extracted item and append it to the capture's items.jsonl."""

from __future__ import annotations

from scrapy.exceptions import NotConfigured

from evidence_crawler.models import Item
from pipelines.session import CaptureSessionExtension


class ItemRecordPipeline:
    def __init__(self, capture: CaptureSessionExtension) -> None:
        self.capture = capture

    @classmethod
    def from_crawler(cls, crawler):
        capture = crawler.get_extension(CaptureSessionExtension)
        if capture is None:
            raise NotConfigured("no capture (EVIDENCE_STORE is not set)")
        return cls(capture)

    def process_item(self, item, spider=None):
        return self.capture.session.record_item(Item(**item)).model_dump(exclude_none=True)
