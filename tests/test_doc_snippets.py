"""Every snippet in the docs that shows output is run as written, and prints what it shows.

How to mark a snippet, and the placeholders its output may use: see tests/docs_snippets.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from docs_snippets import (
    DATABASE_VARIABLES,
    ROOT,
    Snippet,
    SnippetError,
    assert_shows,
    parse,
    read_documents,
    run,
    transcript,
)

DOCUMENTS = read_documents()
SNIPPETS = [snippet for document in DOCUMENTS for snippet in document.snippets]


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda snippet: snippet.output.where)
def test_snippet_prints_what_the_doc_shows(snippet: Snippet, tmp_path, monkeypatch):
    """The snippet, run as the doc says, prints the output the doc shows."""
    monkeypatch.chdir(tmp_path)
    for variable in DATABASE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    run(snippet, tmp_path)


def test_markers_are_well_formed():
    """Every snippet marker names a known kind and stands before the blocks that kind needs."""
    assert [problem for document in DOCUMENTS for problem in document.problems] == []


def test_every_output_block_is_run():
    """A block showing output without a snippet marker fails here: no doc promises untested output."""
    uncovered = [block.where for document in DOCUMENTS for block in document.uncovered()]
    assert uncovered == [], "mark these as described in tests/docs_snippets.py"


def test_docs_have_snippets_of_every_kind():
    """The docs use each kind of marker, so each runner above really runs."""
    assert {snippet.kind for snippet in SNIPPETS} == {"serve", "server", "doctest", "shell"}


EXAMPLE = """\
Some text.

```console
$ curl http://127.0.0.1:9090/
ok
```

<!-- snippet: serve -->
```python
application = None
```

```console
$ curl http://127.0.0.1:9090/
ok
```

<!-- snippet: doctest -->
```pycon
>>> 1 + 1
2
```
"""


def test_an_unmarked_output_block_is_found():
    """A console block with no marker is reported uncovered; marked ones are not."""
    document = parse(EXAMPLE, ROOT / "docs" / "example.md")
    assert [block.line for block in document.uncovered()] == [3]
    assert [snippet.kind for snippet in document.snippets] == ["serve", "doctest"]
    assert document.problems == []


@pytest.mark.parametrize(
    ("marker", "problem"),
    [
        ("<!-- snippet: run -->\n```console\n$ true\n```\n", "unknown kind 'run'"),
        ("<!-- snippet: serve -->\n```console\n$ true\n```\n", "expected a python block, got 'console'"),
        ("<!-- snippet: doctest colour=red -->\n```pycon\n>>> 1\n1\n```\n", "unknown options"),
        ("<!-- snippet: server get=/ files=app.py -->\n```console\n$ true\n```\n", "'# app.py'"),
    ],
)
def test_a_malformed_marker_is_reported(marker: str, problem: str):
    """A marker that cannot be followed is a problem naming what was expected."""
    [reported] = parse(marker, ROOT / "docs" / "example.md").problems
    assert problem in reported


def test_placeholders_and_elided_lines_match():
    """Placeholders match any text within a line, and a '...' line any number of lines."""
    assert_shows(
        "...\nDate: <date>\nServer: waitress\n", "a\nb\r\nDate: Wed, 02 Dec 2026\r\nServer: waitress  \n", "x"
    )


@pytest.mark.parametrize(
    "printed",
    ["Date: today\nServer: gunicorn\n", "Date: \nServer: waitress\n", "Server: waitress\n", "Date: x\n"],
)
def test_other_output_does_not_match(printed: str):
    """Output differing from the doc's, beyond its placeholders, fails."""
    with pytest.raises(AssertionError, match="the doc shows"):
        assert_shows("Date: <date>\nServer: waitress\n", printed, "x")


def test_output_before_any_command_is_refused():
    """A console transcript must start with a '$ ' command."""
    block = parse("```console\nok\n$ true\n```\n", ROOT / "docs" / "example.md").blocks[0]
    with pytest.raises(SnippetError, match="before the first"):
        transcript(block)


def test_documents_include_the_readme_and_the_guides():
    """The README and every guide in docs/ are searched for snippets."""
    searched = {Path(document.blocks[0].document).name for document in DOCUMENTS if document.blocks}
    assert {"README.md", "getting-started.md", "logging.md"} <= searched
