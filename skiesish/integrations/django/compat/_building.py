"""Reading ``HealthCheckView``'s ``checks``: classes, dotted paths, ``(class, options)`` pairs.

Each entry is imported and instantiated once, when the view is built (in the
URLconf), so that a mistake fails there, naming the entry and what arrived,
instead of on the first probe.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from typing import Any

from ....exceptions import ConfigurationError, MissingExtraError
from ....scrubbing import scrub_text

__all__ = ["COMPAT_PACKAGE", "build_check", "build_checks"]

#: This package, which stands in for ``health_check`` in dotted paths.
COMPAT_PACKAGE = __name__.rpartition(".")[0]

_EXPECTED = "a check class, its dotted path, or a (class or path, {options}) pair"


def build_checks(entries: Any, owner: str = "HealthCheckView") -> list[Any]:
    """Import and instantiate every entry of ``checks``.

    Raises:
        ConfigurationError: ``entries`` is not a list, or an entry is not
            what :func:`build_check` takes.
    """
    if isinstance(entries, (str, bytes, Mapping, type)) or not isinstance(entries, Iterable):
        what = f"the class {entries.__name__}" if isinstance(entries, type) else type(entries).__name__
        hint = "; put it in a list" if isinstance(entries, (str, type)) else ""
        raise ConfigurationError(
            f"{owner}(checks=...) must be a list of check classes, dotted paths or (class, options) "
            f"pairs, got {what} {scrub_text(repr(entries)):.80}{hint}"
        )
    return [build_check(entry, f"{owner}(checks=...)[{index}]") for index, entry in enumerate(entries)]


def build_check(entry: Any, where: str) -> Any:
    """The check instance ``entry`` stands for.

    Raises:
        ConfigurationError: naming ``where`` and what arrived: an entry of
            another kind, a path that does not import, something that is not
            a check class, options that are not a mapping of names, an option
            the class does not take, or the class refusing its options.
    """
    options: Any = {}
    target = entry
    if isinstance(entry, (tuple, list)):
        if len(entry) != 2:
            raise ConfigurationError(
                f"{where} must be {_EXPECTED}, got a {type(entry).__name__} of {len(entry)} items"
            )
        target, options = entry
        if not isinstance(options, Mapping) or not all(isinstance(key, str) for key in options):
            raise ConfigurationError(
                f"{where}: the options must be a dict of option names to values, "
                f"got {type(options).__name__} {options!r:.80}"
            )
    if isinstance(target, str):
        target = _import(target, where)
    _require_check_class(target, where, entry)
    _require_known_options(target, options, where)
    try:
        return target(**options)
    except Exception as error:  # a check's constructor may raise anything
        raise ConfigurationError(
            f"{where}: {_call_text(target, options)} failed: {type(error).__name__}: {scrub_text(str(error))}"
        ) from error


def _import(path: str, where: str) -> Any:
    from django.utils.module_loading import import_string  # type: ignore[import-untyped, unused-ignore]

    try:
        return import_string(path)
    except ImportError as error:
        hint = ""
        if path == "health_check" or path.startswith("health_check."):
            hint = f"; with the drop-in, write {COMPAT_PACKAGE + path.removeprefix('health_check')!r}"
        elif path.startswith(COMPAT_PACKAGE + ".") and not isinstance(error, MissingExtraError):
            original = "health_check" + path.removeprefix(COMPAT_PACKAGE)
            hint = (
                "; skiesish's drop-in does not provide it: keep django-health-check installed (it need not "
                f"be in INSTALLED_APPS) and list {original!r}, which then runs on skiesish's engine"
            )
        raise ConfigurationError(f"{where}: cannot import {path!r}: {error}{hint}") from error
    except Exception as error:  # a check's module may raise anything on import
        raise ConfigurationError(
            f"{where}: importing {path!r} failed: {type(error).__name__}: {scrub_text(str(error))}"
        ) from error


def _require_check_class(target: Any, where: str, entry: Any) -> None:
    if isinstance(target, type) and callable(getattr(target, "run", None)):
        return
    if not isinstance(target, type) and callable(getattr(target, "run", None)):
        name = type(target).__name__
        raise ConfigurationError(
            f"{where}: got an instance, {scrub_text(repr(target)):.80}; pass its class with its options "
            f"instead: ({name}, {{...}})"
        )
    what = "a class without a run() method" if isinstance(target, type) else type(target).__name__
    raise ConfigurationError(f"{where} must be {_EXPECTED}, got {what} {scrub_text(repr(entry)):.80}")


def _require_known_options(target: type, options: Mapping[str, Any], where: str) -> None:
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return  # no signature to read: the constructor says what it refuses
    if any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters):
        return
    known = [
        parameter.name
        for parameter in parameters
        if parameter.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    ]
    unknown = [key for key in options if key not in known]
    if unknown:
        takes = ", ".join(known) if known else "no options"
        raise ConfigurationError(
            f"{where}: {target.__name__} has no option {', '.join(map(repr, unknown))}; it takes {takes}"
        )


def _call_text(target: type, options: Mapping[str, Any]) -> str:
    """``Name(key=..., ...)``: the call, without the values (which may hold secrets)."""
    return f"{target.__name__}({', '.join(f'{key}=...' for key in options)})"
