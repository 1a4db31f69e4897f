"""ItemRecordPipeline: validate each extracted item and append it to the capture's items.jsonl."""

from __future__ import annotations

from evidence_crawler.models import Item


class ItemRecordPipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item, spider=None):
        return self.crawler.evidence_session.record_item(Item(**item)).model_dump(exclude_none=True)
