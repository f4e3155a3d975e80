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


def test_readme_has_no_relative_links():
    """The README, also the package index's description, links to no relative path (they break there)."""
    readme = (DOCS.parent / "README.md").read_text()
    relative = [
        link
        for link in re.findall(r"\]\(([^)]+)\)|(?:src|href)=\"([^\"]+)\"|^\[[^]]+\]:\s*(\S+)", readme, re.M)
        for link in link
        if link and not re.match(r"[a-z][a-z0-9+.-]*:|#", link)
    ]
    assert relative == []


def test_readme_names_every_guide_and_only_existing_files():
    """Every guide in docs/ is named in the README, and every file or folder it names exists."""
    readme = (DOCS.parent / "README.md").read_text()
    named = set(re.findall(r"`((?:docs|examples)/[\w./-]*|[\w-]+\.md|LICENSE)`", readme))
    assert {f"docs/{guide.name}" for guide in DOCS.glob("*.md")} <= named
    missing = sorted(name for name in named if not (DOCS.parent / name).exists())
    assert missing == []
