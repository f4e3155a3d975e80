"""A check of name resolution: a DNS query answered, under a deadline the standard resolver lacks."""

from __future__ import annotations

import time
from typing import Any

from ..exceptions import ConfigurationError, HealthError
from ..health import Check
from ..text import bounded
from .base import (
    DEFAULT_SOCKET_TIMEOUT,
    bounded_by,
    build_check,
    check_timeout,
    counted,
    default_name,
    import_extra,
    is_ip_address,
    latency,
)

__all__ = ["dns"]

#: Records quoted in a passing check's output; the rest are counted.
_SHOWN_RECORDS = 3


def _nameserver(value: Any) -> tuple[str, int]:
    """Read ``"192.0.2.53"``, ``"192.0.2.53:5353"``, ``"2001:db8::53"`` or ``"[2001:db8::53]:5353"``."""
    host, port = value, "53"
    if isinstance(value, str) and value.startswith("[") and "]:" in value:
        host, port = value[1:].split("]:", 1)
    elif isinstance(value, str) and value.count(":") == 1:
        host, port = value.split(":")
    if isinstance(host, str) and is_ip_address(host) and port.isdigit() and 1 <= int(port) <= 65535:
        return host.strip("[]"), int(port)
    raise ConfigurationError(
        f"dns(): nameserver must be an IP address, with an optional port (192.0.2.53:5353, "
        f"[2001:db8::53]:5353), got {value!r}"
    )


def dns(
    name: str,
    record_type: str = "A",
    timeout: float = DEFAULT_SOCKET_TIMEOUT,
    nameserver: str | None = None,
    check_name: str | None = None,
    **check_options: Any,
) -> Check:
    """Pass when a DNS query for ``name`` (records of ``record_type``) is answered within ``timeout``.

    The query goes to ``nameserver`` (an IP address, with an optional port)
    or to the system's nameservers from ``/etc/resolv.conf``, with dnspython,
    through no cache and no search list: ``name`` is asked as written. The
    standard library's resolver (``getaddrinfo``) has no timeout at all;
    here ``timeout`` bounds the whole resolution, every nameserver and retry
    included (each of several nameservers gets its share). It fails when the
    name does not exist (NXDOMAIN), has no records of that type, or no
    nameserver answers in time or usefully (SERVFAIL, REFUSED). The output
    counts the records and quotes the first few, sorted.

    The check's own name is ``check_name`` (``name`` is the DNS name), by
    default ``dns:<name>/<record_type>``, with `` via <nameserver>`` when given.
    As nothing is looked up before the query, the engine may run the check
    on the thread that asks for the report when ``timeout`` falls within its
    deadline (see ``runs_within`` in :func:`~skiesish.checks.base.bounded_by`).

    Example:
        >>> dns("db.internal")
        >>> dns("example.com", "MX", nameserver="192.0.2.53:5353")
    """
    dns_name = import_extra("dns.name", "dns", "checks.dns()")
    rdatatype = import_extra("dns.rdatatype", "dns", "checks.dns()")
    resolver_module = import_extra("dns.resolver", "dns", "checks.dns()")
    exception = import_extra("dns.exception", "dns", "checks.dns()")
    seconds = check_timeout("dns", timeout)
    try:
        query = dns_name.from_text(name)
    except (exception.DNSException, TypeError, AttributeError, ValueError):
        raise ConfigurationError(f"dns(): name must be a valid DNS name, got {name!r}") from None
    if len(query.labels) < 2:  # the root alone
        raise ConfigurationError(f"dns(): name must be a valid DNS name, got {name!r}")
    try:
        kind = rdatatype.from_text(record_type)
    except (exception.DNSException, TypeError, AttributeError, ValueError):
        kind = None
    if kind is None or rdatatype.is_metatype(kind):
        raise ConfigurationError(
            f"dns(): record_type must be a DNS record type like A, AAAA, MX, got {record_type!r}"
        )
    type_text = rdatatype.to_text(kind)
    if nameserver is None:
        try:
            resolver = resolver_module.Resolver(configure=True)
        except exception.DNSException as error:
            raise ConfigurationError(
                f"dns(): no nameserver= given, and the system's resolver settings cannot be read: {error}"
            ) from None
    else:
        host, port = _nameserver(nameserver)
        resolver = resolver_module.Resolver(configure=False)
        resolver.nameservers, resolver.port = [host], port
    resolver.cache = None
    resolver.timeout = seconds / max(1, len(resolver.nameservers))  # each nameserver its share
    resolver.lifetime = seconds
    shown = query.to_text(omit_final_dot=True)

    def name_resolves() -> tuple[bool, str]:
        started = time.perf_counter()
        try:
            answer = resolver.resolve(query, kind, lifetime=seconds, search=False)
        except resolver_module.NXDOMAIN:
            raise HealthError(f"{shown} does not exist (NXDOMAIN)") from None
        except resolver_module.NoAnswer:
            raise HealthError(f"{shown} has no {type_text} records") from None
        except exception.Timeout:
            raise HealthError(f"no nameserver answered for {shown} within {seconds:g} s") from None
        except resolver_module.NoNameservers as error:
            raise HealthError(f"no nameserver answered usefully for {shown}: {error}") from None
        except exception.DNSException as error:
            raise HealthError(f"resolving {shown} failed: {error}") from None
        records = sorted(bounded(record.to_text(), 80) for record in answer)  # an RRset has no order
        quoted = ", ".join(records[:_SHOWN_RECORDS]) + (", ..." if len(records) > _SHOWN_RECORDS else "")
        return True, f"{counted(len(records), type_text + ' record')} ({quoted}) in {latency(started)}"

    name_resolves.runs_within = bounded_by(seconds, host=None)  # type: ignore[attr-defined]
    where = f"/{type_text}" + (f" via {nameserver}" if nameserver is not None else "")
    return build_check(name_resolves, check_name or default_name("dns", shown, None, where), check_options)
