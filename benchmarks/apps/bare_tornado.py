"""The Tornado upper limit: a handler writing the HealthCheck body and headers, made once, with no ETag."""

import tornado.web

from apps.healthcheck_answer import BODY, CONTENT_TYPE


class Bare(tornado.web.RequestHandler):
    """Write :data:`BODY` as skiesish's TornadoHandler writes a checker's answer."""

    def get(self) -> None:
        """Answer 200 with the body."""
        self.set_header("Content-Type", CONTENT_TYPE)
        self.write(BODY)

    def compute_etag(self) -> None:
        """No ETag, as skiesish's TornadoHandler."""
        return None


application = tornado.web.Application([("/healthcheck", Bare)])
