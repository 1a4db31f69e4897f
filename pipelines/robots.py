"""RobotsTxtMiddleware with every waiting request given the parsed robots.txt.

Scrapy 2.13+ (scrapy/scrapy#6802) makes each request that arrives while robots.txt is still downloading
``await maybe_deferred_to_future(deferred)`` on one shared Deferred. Twisted's ``asFuture`` callback returns
None, so the *second* and later waiters receive None, which the middleware reads as "no robots.txt":
those requests are fetched unchecked. A local crawl rarely has several requests for a new host in flight at
that moment; a distributed worker popping a batch from the shared frontier always does, and fetched
``Disallow``-ed pages. The parser is stored in ``_parsers`` before the Deferred fires, so reading it back
after the wait gives every waiter the same answer.
"""

from __future__ import annotations

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    async def robot_parser(self, request):
        parser = await super().robot_parser(request)
        stored = self._parsers.get(urlparse_cached(request).netloc, parser)
        return parser if isinstance(stored, Deferred) else stored
