"""py-healthcheck's and Runscope's ``EnvironmentDump``, and py-healthcheck's ``safe_dict``.

Both are re-exported by :mod:`skiesish.integrations.healthcheck` and
:mod:`skiesish.integrations.flask`, where their users import them from.
Everything they show passes through :mod:`skiesish.scrubbing`.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, overload

from ..di import DI
from ..exceptions import ConfigurationError
from ..handlers.environment_dump import process_section, python_section
from ..scrubbing import scrub
from ..sections import section_value
from ._support import JSON_HEADERS, check_flask_app, is_flask_app, require_flask

if TYPE_CHECKING:
    import flask

__all__ = ["EnvironmentDump", "safe_dict"]


#: EnvironmentDump's positional arguments in py-healthcheck: ``EnvironmentDump(True, True, False)``.
_PY_HEALTHCHECK_ORDER = ("include_os", "include_python", "include_process")


#: And in Runscope's healthcheck: ``EnvironmentDump(app, "/environment")``.
_RUNSCOPE_ORDER = ("app", "path", "include_os", "include_python", "include_config", "include_process")


class EnvironmentDump:
    """py-healthcheck's and Runscope's ``EnvironmentDump``, its secrets masked by :mod:`skiesish.scrubbing`.

    Sections ``os`` (``platform``, ``name``, ``uname``), ``python``
    (``version``, ``executable``, ``pythonpath``, ``version_info``,
    ``packages``), ``process`` (``argv``, ``cwd``, ``user``, ``pid``,
    ``environ``) and, once there is a Flask application, ``config`` (its
    ``app.config``), as those libraries name them, plus custom sections.
    Serve it only where strangers cannot reach: scrubbing masks what it
    recognises, not a secret of no recognisable shape under an innocent name.

    Both libraries' positional arguments work: py-healthcheck's
    ``EnvironmentDump(include_os, include_python, include_process)`` and
    Runscope's ``EnvironmentDump(app, path, include_os, include_python,
    include_config, include_process)``, told apart by the first argument
    (a bool, or an application). The keywords ``app=`` and ``path=`` are
    Runscope's when ``app`` is a Flask application, and otherwise sections,
    as in py-healthcheck.

    Args:
        app: a Flask application: its config is the ``config`` section, and
            with ``path`` the dump answers there (see :meth:`init_app`).
        path: where the dump answers on ``app``.
        include_os: show the ``os`` section.
        include_python: show the ``python`` section.
        include_process: show the ``process`` section.
        include_config: show the ``config`` section; by default, when the
            dump is given an application (as Runscope did: py-healthcheck had
            no such section).
        **sections: custom sections (see :meth:`add_section`).

    Example:
        >>> EnvironmentDump(app, "/environment", include_process=False)
        >>> dump = EnvironmentDump(include_process=False, application={"name": "shop"})
        >>> app.add_url_rule("/environment", "environment", view_func=dump.run)
    """

    @overload
    def __init__(
        self,
        include_os: bool = ...,
        include_python: bool = ...,
        include_process: bool = ...,
        *,
        app: flask.Flask | None = ...,
        path: str | None = ...,
        include_config: bool | None = ...,
        **sections: Any,
    ) -> None: ...

    @overload
    def __init__(
        self,
        app: flask.Flask | None,
        path: str | None = ...,
        include_os: bool = ...,
        include_python: bool = ...,
        include_config: bool | None = ...,
        include_process: bool = ...,
        **sections: Any,
    ) -> None: ...

    def __init__(self, *args: Any, **keywords: Any) -> None:
        options, sections = _read_arguments(args, keywords)
        self.path: str | None = options["path"]
        self.include_config: bool | None = options["include_config"]
        self._app: flask.Flask | None = None
        self._di = DI()
        self._lock = threading.Lock()
        self._sections: dict[str, Any] = {}
        if options["include_os"]:
            self._sections["os"] = _os_section
        if options["include_python"]:
            self._sections["python"] = _python_section
        if self.include_config:
            self._sections["config"] = self._config_section
        if options["include_process"]:
            self._sections["process"] = _process_section
        for name, value in sections.items():
            self.add_section(name, value)
        if options["app"] is not None:
            self.init_app(options["app"], self.path)

    def add_section(self, name: str, value_or_fn: Any) -> None:
        """Add a section: a value, or a function called (with DI) at each run.

        Raises:
            ConfigurationError: the name is taken (the built-in sections included).
        """
        if not isinstance(name, str) or not name:
            raise ConfigurationError(f"a section name must be a non-empty string, got {name!r}")
        with self._lock:
            if name in self._sections:
                raise ConfigurationError(f'The name "{name}" is already taken.')
            self._sections[name] = value_or_fn

    def init_app(self, app: flask.Flask, path: str | None = None) -> None:
        """Show ``app``'s config as the ``config`` section, and answer at ``path`` on ``app``.

        The ``config`` section is added unless ``include_config=False`` or a
        custom section already has the name. Without a path (here or given to
        the constructor) no route is added; ``run()`` then serves as a view.

        Raises:
            ConfigurationError: ``app`` is not a Flask application.
        """
        check_flask_app(app, "EnvironmentDump")
        self._app = app
        with self._lock:
            if self.include_config is None and "config" not in self._sections:
                self._sections["config"] = self._config_section
        path = path or self.path
        if not path:
            return
        self.path = path
        endpoint = "environment" if "environment" not in app.view_functions else f"environment:{path}"
        app.add_url_rule(path, endpoint=endpoint, view_func=self.run)

    def run(self) -> tuple[str, int, dict[str, str]]:
        """Return ``(json_body, 200, headers)`` with every section, scrubbed."""
        with self._lock:
            sections = dict(self._sections)
        data = {name: section_value(self._di, value) for name, value in sections.items()}
        return json.dumps(scrub(data)), 200, dict(JSON_HEADERS)

    def dump_environment(self) -> tuple[str, int, dict[str, str]]:
        """Runscope's name for :meth:`run`."""
        return self.run()

    def _config_section(self) -> dict[str, Any]:
        """The serving application's ``app.config`` (``run()`` scrubs it), as Runscope's ``config``."""
        require_flask()
        from flask import current_app, has_app_context

        if has_app_context():
            return dict(current_app.config)
        if self._app is None:
            raise ConfigurationError(
                "the config section needs a Flask application: pass app= or call init_app(app)"
            )
        return dict(self._app.config)


def _read_arguments(args: tuple[Any, ...], keywords: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """EnvironmentDump's ``(options, sections)``, positional arguments in either library's order.

    The keywords ``app`` and ``path`` are Runscope's when there is a Flask
    application; otherwise they are sections, as any extra keyword was in
    py-healthcheck.
    """
    order = _PY_HEALTHCHECK_ORDER if not args or isinstance(args[0], bool) else _RUNSCOPE_ORDER
    if len(args) > len(order):
        raise TypeError(
            f"EnvironmentDump takes at most {len(order)} positional arguments ({', '.join(order)}), "
            f"got {len(args)}"
        )
    positional = dict(zip(order, args, strict=False))  # fewer arguments than names
    twice = sorted(positional.keys() & keywords.keys())
    if twice:
        raise TypeError(f"EnvironmentDump got {twice[0]!r} both by position and by keyword")
    has_app = "app" in positional or is_flask_app(keywords.get("app"))
    options: dict[str, Any] = dict.fromkeys(("app", "path", "include_config"))
    options.update(dict.fromkeys(("include_os", "include_python", "include_process"), True))
    sections = dict(keywords)
    for name in options:
        if name in positional:
            options[name] = positional[name]
        elif name in sections and (has_app or name not in ("app", "path")):
            options[name] = sections.pop(name)
    return options, sections


def safe_dict(
    dictionary: Mapping[str, Any], blacklist: Iterable[str] = ("key", "token", "pass"), max_deep: int = 5
) -> dict[str, Any]:
    """py-healthcheck's ``healthcheck.security.safe_dict``: a copy of ``dictionary`` with its secrets masked.

    Built on :func:`skiesish.scrubbing.scrub`, so it masks more than
    py-healthcheck's did: values under a key holding a ``blacklist`` word or
    one of :data:`~skiesish.scrubbing.KEY_WORDS`, at any depth, and secrets
    recognised by their shape (a URL's password, a token) under any key. The
    copy is JSON-ready: a value that is not (a ``datetime``, say) comes back
    as its text, scrubbed, since an object's text may hold a secret too.

    Args:
        dictionary: the mapping to copy (``os.environ``, ``app.config``, ...).
        blacklist: words that make a key secret, besides the built-in ones
            (which always apply).
        max_deep: kept for py-healthcheck's signature. Every depth is
            scrubbed; py-healthcheck left what lay deeper than this unmasked.

    Raises:
        TypeError: ``dictionary`` is not a mapping.

    Example:
        >>> safe_dict({"API_KEY": "abc", "DEBUG": "1", "db": {"dsn": "postgres://app:pw@db/app"}})
        {'API_KEY': '********', 'DEBUG': '1', 'db': {'dsn': '********'}}
    """
    del max_deep  # every depth is scrubbed
    if not isinstance(dictionary, Mapping):
        raise TypeError(f"safe_dict needs a mapping, got {type(dictionary).__name__} {dictionary!r:.80}")
    masked: dict[str, Any] = scrub(dictionary, extra_key_words=tuple(blacklist))
    return masked


def _os_section() -> dict[str, Any]:
    return {"platform": sys.platform, "name": os.name, "uname": list(platform.uname())}


def _python_section() -> dict[str, Any]:
    python = python_section()
    return {
        "version": python["version"],
        "executable": python["executable"],
        "pythonpath": python["path"],
        "version_info": python["version_info"],
        "packages": {item["name"]: item["version"] for item in python["distributions"]},
    }


def _process_section() -> dict[str, Any]:
    process = process_section()
    return {
        "argv": process["argv"],
        "cwd": process["cwd"],
        "user": process["user"],
        "pid": process["pid"],
        "environ": process["environment"],
    }
