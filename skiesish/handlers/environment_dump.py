"""The environment dump: the OS, Python, the process and the configuration, secrets masked."""

from __future__ import annotations

import getpass
import importlib.metadata
import os
import platform
import re
import sys
from typing import Any, Literal

import pydantic

from ..input_outputs import InputOutput
from ..responses import Response, envelope, json_response, refusal
from ..scrubbing import scrub
from ..sections import section_value
from ..security import DetailsPolicy, resolve_token
from .base import ENVELOPE_CONTENT, Handler
from .config import DetailsToken, HandlerConfig

__all__ = ["BUILT_IN_SECTION_NAMES", "EnvironmentDump", "EnvironmentDumpConfig"]

#: The sections EnvironmentDump writes itself; a custom section may not take these names.
BUILT_IN_SECTION_NAMES = ("os", "python", "process", "config")

VERSION_INFO_FIELDS = ("major", "minor", "micro", "releaselevel", "serial")


class EnvironmentDumpConfig(HandlerConfig):
    """Configuration of :class:`EnvironmentDump`; see docs/configuration.md.

    The default, ``details: "authorized"``, needs a ``details_token``: an
    environment dump is nothing but details, so it is shown to token holders
    or, when the operator says so explicitly, to everyone.
    """

    include_os: bool = True
    include_python: bool = True
    include_process: bool = True
    include_config: bool = True
    sections: dict[str, Any] = pydantic.Field(default_factory=dict)
    scrub_keys: list[str] = pydantic.Field(default_factory=list)
    details: Literal["always", "authorized"] = "authorized"
    details_token: DetailsToken = None

    @pydantic.field_validator("details", mode="before")
    @classmethod
    def _never_is_not_an_option(cls, value: Any) -> Any:
        if value == "never":
            raise ValueError(
                "'never' would hide everything EnvironmentDump shows; use 'authorized' with a "
                "details_token, or 'always' behind your own access control"
            )
        return value

    @pydantic.field_validator("sections")
    @classmethod
    def _sections_do_not_collide(cls, value: dict[str, Any]) -> dict[str, Any]:
        taken = [name for name in BUILT_IN_SECTION_NAMES if name in value]
        if taken:
            raise ValueError(
                f"section names {taken} are built-in sections; choose other names "
                f"(built in: {list(BUILT_IN_SECTION_NAMES)}, switched off with include_<name>: False)"
            )
        return value

    @pydantic.field_validator("scrub_keys")
    @classmethod
    def _scrub_keys_are_words(cls, value: list[str]) -> list[str]:
        empty = [word for word in value if not word.strip()]
        if empty:
            raise ValueError(
                f"each scrub key must be a non-empty word (it would match every key), got {value!r}"
            )
        return value

    @pydantic.model_validator(mode="after")
    def _token_matches_details(self) -> EnvironmentDumpConfig:
        if self.details == "authorized" and not self.details_token:
            raise ValueError(
                "details 'authorized' (the default) needs a details_token (a token, or 'env:VARIABLE'); "
                "set details 'always' only if nobody untrusted can reach this endpoint"
            )
        if self.details_token is not None and self.details != "authorized":
            raise ValueError(f"details_token is only used with details 'authorized', not {self.details!r}")
        return self


class EnvironmentDump(Handler):
    """Show the OS, Python, the process and the configuration, with every secret masked.

    ``data`` holds one entry per section: ``os``, ``python``, ``process``,
    ``config`` (each switched off with ``include_<name>: False``) and the
    custom ``sections``. Everything passes through
    :func:`skiesish.scrubbing.scrub`. A request without the token gets
    401 (no ``Authorization``) or 403 and an envelope saying so.

    Example:
        >>> skiesish.Application(EnvironmentDump, {"details_token": "env:ENVIRONMENT_DUMP_TOKEN"})
    """

    config_class = EnvironmentDumpConfig
    config: EnvironmentDumpConfig

    def prepare(self) -> None:
        token = self.config.details_token
        if token is not None:
            environment = self.di.build_from_name("environment", context="EnvironmentDump details_token")
            token = resolve_token(token, environment)
        self.details_policy = DetailsPolicy(self.config.details, token)

    def handle(self, input_output: InputOutput) -> Response:
        authorization = input_output.header("Authorization")
        if not self.details_policy.allows(authorization):
            return refusal(has_credentials=bool(authorization))
        return json_response(envelope("success", self.dump()))

    def openapi_responses(self) -> dict[str, Any]:
        """200 with the dump; with details "authorized", 401 and 403 for callers without the token."""
        responses = {
            "200": {
                "description": "One entry of data per section, secrets masked.",
                "content": ENVELOPE_CONTENT,
            }
        }
        if self.config.details == "authorized":
            responses["401"] = {
                "description": "No Authorization header: a bearer token is needed.",
                "content": ENVELOPE_CONTENT,
            }
            responses["403"] = {
                "description": "The token presented is not accepted.",
                "content": ENVELOPE_CONTENT,
            }
        return responses

    def dump(self) -> dict[str, Any]:
        """Every enabled section, scrubbed."""
        config = self.config
        sections: dict[str, Any] = {}
        if config.include_os:
            sections["os"] = os_section()
        if config.include_python:
            sections["python"] = python_section()
        if config.include_process:
            sections["process"] = process_section()
        if config.include_config:
            sections["config"] = config
        for name, value in config.sections.items():
            sections[name] = self.custom_section(value)
        scrubbed: dict[str, Any] = scrub(sections, config.scrub_keys)
        return scrubbed

    def custom_section(self, value: Any) -> Any:
        """A section's value; a callable is called with its parameters injected.

        A callable that raises shows ``error: TypeName: message`` instead.
        """
        return section_value(self.di, value)


def os_section() -> dict[str, Any]:
    """The platform, ``os.name`` and ``uname``."""
    uname = platform.uname()
    return {
        "platform": platform.platform(),
        "name": os.name,
        "uname": {
            "system": uname.system,
            "node": uname.node,
            "release": uname.release,
            "version": uname.version,
            "machine": uname.machine,
        },
    }


def python_section() -> dict[str, Any]:
    """The interpreter, its path and the installed distributions (read with ``importlib.metadata``)."""
    return {
        "version": sys.version,
        "version_info": dict(zip(VERSION_INFO_FIELDS, sys.version_info, strict=True)),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "path": list(sys.path),
        "distributions": installed_distributions(),
    }


def installed_distributions() -> list[dict[str, str]]:
    """``[{"name": ..., "version": ...}]`` sorted by name; the first found of each name wins, as in imports.

    ``importlib.metadata`` reads the installed metadata itself, so this works
    with any pip, and with no pip at all.
    """
    found: dict[str, dict[str, str]] = {}
    for distribution in importlib.metadata.distributions():
        name = distribution.metadata["Name"]
        if not name:  # a broken or half-removed installation
            continue
        found.setdefault(
            re.sub(r"[-_.]+", "-", name).lower(), {"name": name, "version": distribution.version}
        )
    return [found[key] for key in sorted(found)]


def process_section() -> dict[str, Any]:
    """The pid, argv, working directory, user and environment variables of this process."""
    try:
        cwd = os.getcwd()
    except OSError as error:  # the directory was removed under us
        cwd = f"error: {type(error).__name__}: {error}"
    return {
        "pid": os.getpid(),
        "argv": list(sys.argv),
        "cwd": cwd,
        "user": current_user(),
        "environment": dict(sorted(os.environ.items())),
    }


def current_user() -> str:
    """The login name, or ``uid N`` where the user database has none (containers often do not)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - OSError or KeyError, depending on the Python version
        getuid = getattr(os, "getuid", None)
        return f"uid {getuid()}" if getuid is not None else "unknown"
