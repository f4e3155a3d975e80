"""The declarative health endpoint."""

from __future__ import annotations

import json
from typing import Any

from ..formats import ALWAYS_OK_FORMATS, FORMATS, HEALTH_JSON, TIMELESS_FORMATS, View
from ..formats.history import Timelines, history_data
from ..formats.html import render_html
from ..health import Check, HealthEngine, Report
from ..health.history import History
from ..health.shared_cache import RedisResultCache
from ..input_outputs import ClientError, InputOutput, shown_path
from ..log import logger
from ..responses import (
    JSON_CONTENT_TYPE,
    Response,
    body_response,
    envelope,
    json_body,
    json_response,
    refusal,
)
from ..scrubbing import qualified_name, scrub, scrub_text
from ..sections import section_value
from ..security import DetailsPolicy, resolve_secret, resolve_token
from .base import ENVELOPE_CONTENT, Handler
from .health_check_config import HealthCheckConfig

__all__ = ["HealthCheck", "HealthCheckConfig"]

#: The media type each non-envelope format answers with, for the OpenAPI document.
OPENAPI_MEDIA_TYPES = {
    "health+json": HEALTH_JSON,
    "text": "text/plain",
    "runscope": "application/json",
    "problem+json": "application/problem+json",
    "prometheus": "text/plain",
    "html": "text/html",
}

#: The most status changes, and latency samples, one ``?history`` answer holds per check (the newest).
HISTORY_ANSWER_LIMIT = 200

SUCCESS_BODY = json_body(envelope("success", {}))
FAILURE_BODY = json_body(envelope("failure", []))


class HealthCheck(Handler):
    """Answer 200 when every check passes, else 500 (both configurable).

    With no other keys, ``services`` and ``callable`` behave as in
    clearskies: success is ``{"status": "success", "error": "", "data": {},
    "pagination": {}, "input_errors": {}}``, failure has ``"status":
    "failure"`` and ``"data": []``, and the failure body never carries the
    reason, which is logged on the ``skiesish`` logger when the status changes.
    Every other key (named checks, deadlines, caching, details, formats) is
    described in docs/configuration.md.

    Example:
        >>> skiesish.Application(HealthCheck, {"services": ["cursor_backend"], "timeout": 2})
    """

    config_class = HealthCheckConfig
    config: HealthCheckConfig

    def prepare(self) -> None:
        config = self.config
        checks = config.selected_checks()
        for name in config.services:
            if not self.di.can_provide(name):
                logger.warning("HealthCheck: no dependency is named %r; its check will fail", name)
        token = config.details_token
        if token is not None:
            token = resolve_token(
                token, self.di.build_from_name("environment", context="HealthCheck details_token")
            )
        self.details_policy = DetailsPolicy(config.details, token)
        self._known_names = frozenset(check.label for check in checks)
        self._known_list = shown_path(", ".join(check.label for check in checks) or "(none)")
        #: Each check's status changes and latency, when the ``history`` key asks for them.
        self.history: History | None = None if config.history is None else config.history.build()
        if self.history is not None and config.details == "never":
            logger.warning(
                "HealthCheck: history is kept but details are 'never': ?history and the status "
                "page's timelines are shown to no one"
            )
        self.engine = HealthEngine(
            checks,
            self.di,
            timeout=config.timeout,
            success_ttl=config.success_ttl,
            failed_ttl=config.failed_ttl,
            on_change=config.on_change,
            background_interval=(config.interval or 10.0) if config.refresh == "background" else None,
            shared_cache=self._shared_cache(checks),
            failure_threshold=config.failure_threshold,
            success_threshold=config.success_threshold,
            listeners=[*config.listeners, *([self.history] if self.history is not None else [])],
        )
        # The common case, the bare envelope, is answered with responses made once.
        is_plain = (
            config.format == "envelope"
            and config.details == "never"
            and config.success_handler is None
            and config.failed_handler is None
        )
        self._plain: dict[bool, Response] | None = (
            {
                True: body_response(
                    SUCCESS_BODY, config.success_status, tuple(config.success_headers.items())
                ),
                False: body_response(
                    FAILURE_BODY, config.failed_status, tuple(config.failed_headers.items())
                ),
            }
            if is_plain
            else None
        )
        # An answer depends only on the report, the Accept header and whether details are shown,
        # unless custom handlers (which may read anything) or sections shown to anyone (which may
        # change between requests) make it up.
        self.answers_are_reusable = (
            config.success_handler is None
            and config.failed_handler is None
            and not (config.details == "always" and config.sections)
        )

    def add_check(self, check: Check | Any, replace: bool = False) -> None:
        """Add ``check`` while serving (with ``replace``, in place of the check of its name).

        Thread-safe under concurrent probes: each answer is made from the
        checks before or after the change, never a mix; answers kept from
        before are not sent again. ``?check=`` knows the new name at once.

        Raises:
            ConfigurationError: a check of that name exists (and not ``replace``).
        """
        self.engine.add_check(check, replace=replace)
        self._known_checks_changed()

    def remove_check(self, name: str) -> None:
        """Remove the check ``name`` while serving, and close what it opened.

        Raises:
            KeyError: no check is named ``name``.
        """
        self.engine.remove_check(name)
        self._known_checks_changed()

    def _known_checks_changed(self) -> None:
        names = self.engine.names
        self._known_names = frozenset(names)
        self._known_list = shown_path(", ".join(names) or "(none)")

    def _shared_cache(self, checks: list[Check]) -> RedisResultCache | None:
        """The Redis cache of ``cache``, its default namespace drawn from these checks, or ``None``."""
        config = self.config
        if config.cache is None:
            return None
        secret = None
        if config.cache_secret is not None:
            environment = self.di.build_from_name("environment", context="HealthCheck cache_secret")
            secret = resolve_secret(config.cache_secret, environment, "cache_secret")
        identity = "\n".join(f"{check.label}={qualified_name(check.func)}" for check in checks)
        return RedisResultCache(config.cache, config.cache_namespace, identity=identity, secret=secret)

    def close(self) -> None:
        """Stop the engine's background refresh, if any, and close the history's file."""
        self.engine.close()
        if self.history is not None:
            self.history.close()

    def handle(self, input_output: InputOutput) -> Response:
        if input_output.query("history") is not None:
            return self.history_answer(input_output)
        report = self.health_report(input_output)
        response = self.answer(report, input_output)
        if self.is_reusable(input_output):
            input_output.reusable_while = self.engine.fresh_while(report)
        return response

    def is_reusable(self, input_output: InputOutput) -> bool:
        """Whether this handler's answer to ``input_output`` may be sent again while its report holds."""
        return self.answers_are_reusable and self._format_for(input_output) in TIMELESS_FORMATS

    def health_report(self, input_output: InputOutput) -> Report:
        """Evaluate the checks the request selects (all by default)."""
        return self.engine.evaluate(self.selected_names(input_output))

    def answer(self, report: Report, input_output: InputOutput) -> Response:
        """Turn ``report`` into the response this handler's configuration asks for.

        Everything shown passes through the scrubber: check outputs already
        have (they are scrubbed when a check runs), sections and the body
        of a custom ``success_handler``/``failed_handler`` are here. A custom
        handler is given the checks' outputs only when the caller may see
        details; otherwise it gets them withheld (empty).
        """
        format_name = self._format_for(input_output)
        if self._plain is not None and format_name == "envelope":
            return self._plain[report.passed]
        status_code = self.config.success_status if report.passed else self.config.failed_status
        if format_name in ALWAYS_OK_FORMATS:
            status_code = 200
        extra_headers = tuple(
            (self.config.success_headers if report.passed else self.config.failed_headers).items()
        )
        details = self.details_policy.allows(input_output.header("Authorization"))
        custom = self.config.success_handler if report.passed else self.config.failed_handler
        if custom is not None:
            content_type, body = _encode_custom(custom(report if details else report.without_outputs()))
            return body_response(body, status_code, extra_headers, content_type)
        view = View(
            details=details,
            sections=self.sections() if details else {},
            verbose=input_output.query("verbose") is not None,
            status_code=status_code,
        )
        if format_name == "html" and details and self.history is not None:
            names = [result.name for result in report.results]
            timelines = Timelines(self.history.read_all(names), self.history.max_age)
            content_type, body = render_html(report, view, timelines)
        else:
            content_type, body = FORMATS[format_name](report, view)
        return body_response(body, status_code, extra_headers, content_type)

    def history_answer(self, input_output: InputOutput) -> Response:
        """``?history``: each selected check's status changes and latency, to those who may see details.

        The newest :data:`HISTORY_ANSWER_LIMIT` of each are answered; nothing
        is run. Refused as other details are withheld: 401 without an
        ``Authorization`` header (details ``"authorized"``), 403 with a wrong
        token or when details are ``"never"``.

        A caller without the token is refused as EnvironmentDump refuses one
        (:func:`~skiesish.responses.refusal`).

        Raises:
            ClientError: no history is kept (404), details are shown to no one
                (403), or ``?check=`` names an unknown check (400).
        """
        if self.history is None:
            raise ClientError("this health check keeps no history; set 'history' in its configuration", 404)
        authorization = input_output.header("Authorization")
        if not self.details_policy.allows(authorization):
            if self.config.details == "never":
                raise ClientError(
                    "the history is a detail, and this health check shows details to no one", 403
                )
            return refusal(has_credentials=bool(authorization))
        names = self.selected_names(input_output) or self.engine.names
        histories = self.history.read_all(names, HISTORY_ANSWER_LIMIT)
        data = {
            "checks": history_data(histories),
            "max_results": self.history.max_results,
            "max_age": self.history.max_age,
        }
        return json_response(envelope("success", data))

    def _format_for(self, input_output: InputOutput) -> str:
        """The configured format, unless the request asks for health+json, or is a browser's."""
        if input_output.accepts(HEALTH_JSON):
            return "health+json"
        if input_output.accepts("text/html"):
            return "html"
        return self.config.format

    def openapi_responses(self) -> dict[str, Any]:
        """The answers this handler gives, for the OpenAPI document."""
        config = self.config
        content = (
            ENVELOPE_CONTENT if config.format == "envelope" else {OPENAPI_MEDIA_TYPES[config.format]: {}}
        )
        healthy = {"description": "Healthy: every critical check passed.", "content": content}
        unhealthy = {"description": "Unhealthy: a critical check failed or timed out.", "content": content}
        responses = {str(config.success_status): healthy, str(config.failed_status): unhealthy}
        if config.format in ALWAYS_OK_FORMATS:
            responses = {"200": {"description": "The checks' results, healthy or not.", "content": content}}
        responses["400"] = {
            "description": "A ?check= or ?exclude= name is not one of the checks.",
            "content": ENVELOPE_CONTENT,
        }
        return responses

    def selected_names(self, input_output: InputOutput) -> list[str] | None:
        """The checks a request asks for with ``?check=`` and ``?exclude=`` (``None``: all).

        The work is linear in the number of names (a set look-up each); the
        query string itself is bounded when it is read.

        Raises:
            ClientError: a name is not one of the handler's checks, or the
                selection leaves no check at all (an empty report would pass,
                whatever the checks say).
        """
        wanted = input_output.query_list("check")
        excluded = input_output.query_list("exclude")
        if not wanted and not excluded:
            return None
        unknown = next((name for name in (*wanted, *excluded) if name not in self._known_names), None)
        if unknown is not None:
            raise ClientError(f"unknown check {shown_path(unknown)!r}; known checks: {self._known_list}")
        dropped = set(excluded)
        selected = [name for name in dict.fromkeys(wanted or self.engine.names) if name not in dropped]
        if not selected:
            raise ClientError(
                "?check= and ?exclude= leave no check to run; an empty report would say nothing"
            )
        return selected

    def sections(self) -> dict[str, Any]:
        """The configured sections, callables called with their parameters injected, scrubbed.

        A section that raises shows the error instead of its value; it never
        fails the health check.
        """
        values = {name: section_value(self.di, value) for name, value in self.config.sections.items()}
        scrubbed: dict[str, Any] = scrub(values)
        return scrubbed


def _encode_custom(body: Any) -> tuple[str, bytes]:
    """A success/failed handler's return value as a scrubbed body: bytes, text, or JSON."""
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return "application/octet-stream", body  # not text: nothing the scrubber could read
        return "application/octet-stream", scrub_text(text).encode("utf-8")
    if isinstance(body, str):
        try:
            parsed = json.loads(body)
        except ValueError:
            return "text/plain; charset=utf-8", scrub_text(body).encode("utf-8")
        return JSON_CONTENT_TYPE, json_body(scrub(parsed))
    return JSON_CONTENT_TYPE, json_body(scrub(body))
