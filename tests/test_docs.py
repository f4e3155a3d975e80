"""The documentation agrees with the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import skiesish
from skiesish.handlers import Handler

DOCS = Path(__file__).resolve().parent.parent / "docs"


def documented_keys(handler_name: str) -> set[str]:
    """The keys listed in the configuration reference's table for ``handler_name``."""
    text = (DOCS / "configuration.md").read_text()
    section = re.search(rf"^## {handler_name}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert section, f"docs/configuration.md has no section for {handler_name}"
    table = re.search(r"^\| key \|.*?\n((?:\|.*\n)+)", section.group(1), re.M)
    assert table, f"docs/configuration.md has no '| key |' table for {handler_name}"
    return set(re.findall(r"^\| `([a-z_]+)` \|", table.group(1), re.M))


HANDLERS = [
    getattr(skiesish.handlers, name)
    for name in skiesish.handlers.__all__
    if isinstance(getattr(skiesish.handlers, name), type)
    and issubclass(getattr(skiesish.handlers, name), Handler)
    and getattr(skiesish.handlers, name) is not Handler
]


@pytest.mark.parametrize("handler", HANDLERS, ids=lambda handler: handler.__name__)
def test_configuration_reference_lists_exactly_the_model_keys(handler):
    """docs/configuration.md lists every key of each handler's model, and no other."""
    assert documented_keys(handler.__name__) == set(handler.config_class.model_fields)


def test_readme_links_resolve():
    """Every relative link in the README points at a file that exists."""
    root = DOCS.parent
    links = re.findall(r"\]\(([^)#:]+)\)", (root / "README.md").read_text())
    assert links
    missing = [link for link in links if not (root / link).exists()]
    assert missing == []
