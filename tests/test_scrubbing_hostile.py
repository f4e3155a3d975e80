"""skiesish.scrubbing on hostile input: linear time on every shape, bounded work, never an exception.

The shapes below made the earlier scrubber's regular expressions backtrack quadratically (a run
each pattern rescans from every position) or aim at one of the current rules. At the sizes used
here a quadratic scrubber takes minutes to hours; a linear one well under a second. No test
asserts a time: each is guarded by a 60 s timeout, which only a super-linear scrubber reaches.
"""

from __future__ import annotations

import json
import random
import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skiesish.scrubbing import ITEM_LIMIT, MASK, TEXT_LIMIT, TOTAL_TEXT_LIMIT, scrub, scrub_text
from skiesish.scrubbing import text as scrubbing_text

#: Characters in one hostile text when the length cap is lifted.
HOSTILE_SIZE = 512 * 1024
CUT = re.compile(r"\.\.\.\[(\d+) characters cut\]\Z")
_RANDOM = random.Random(11)
RANDOM_BASE64 = "".join(_RANDOM.choice(string.ascii_letters + string.digits + "+/") for _ in range(4096))


def repeat(unit: str, size: int) -> str:
    """``unit`` repeated to exactly ``size`` characters."""
    return (unit * (size // len(unit) + 1))[:size]


#: One hostile shape per family of rules: what makes a backtracking pattern rescan its input.
HOSTILE_SHAPES = {
    "auth scheme + long credential": lambda size: "token " + "a" * size,
    "word boundaries before a URL scheme": lambda size: repeat("a.", size),
    "dashes before a URL scheme": lambda size: repeat("a-", size),
    "URL user without @": lambda size: repeat("x://u:", size),
    "URL token user": lambda size: "x://" + repeat("a.", size),
    "URL password with bad hosts": lambda size: "x://u:" + repeat("a@@", size),
    "user:password@ segments": lambda size: repeat("u:p@", size),
    "JSON Web Token starts": lambda size: repeat("eyJ-", size),
    "dotted token starts": lambda size: repeat("SG.a", size),
    "PEM headers without end": lambda size: repeat("-----BEGIN PRIVATE KEY-----", size),
    "name=value, unclosed quotes": lambda size: repeat('password="', size),
    "name: value in YAML lists": lambda size: repeat("- password:\n", size),
    "escaped JSON quotes": lambda size: repeat('\\"password\\": \\"', size),
    "--option value": lambda size: repeat("--password ", size),
    "client command lines": lambda size: repeat("mysql -p ", size),
    "XML elements": lambda size: repeat("<password>", size),
    "bot token digits": lambda size: repeat("1234567890:", size),
    "random base64 run": lambda size: repeat(RANDOM_BASE64, size),
    "unquoted value of separators": lambda size: "password=" + repeat("a&b;c,", size),
    "pairs in brackets and quotes": lambda size: repeat("(\"password=a'", size),
    "name value without a separator": lambda size: repeat("password is ", size),
    "one long name before a value": lambda size: "private_api_key_" + "a" * size + " Zq7vXw2",
    "YAML block nested deeper and deeper": lambda size: "auth:\n" + repeat("  - a: |\n", size),
    "YAML block of public keys": lambda size: "auth:\n" + repeat("  token_ttl: password=x\n", size),
    "Oracle logons": lambda size: repeat("u/p@//", size),
    "unclosed quoted passwords": lambda size: repeat("mysql -p'a(", size),
    "options in quotes": lambda size: repeat('--password a"', size),
    "certificates without END": lambda size: repeat("-----BEGIN CERTIFICATE-----", size),
    "token shapes outside runs": lambda size: repeat("access_token$production$", size),
    "fingerprints and digests": lambda size: repeat("SHA256:sha512-", size),
    "equals inside a token": lambda size: "ATATT3" + RANDOM_BASE64[:200] + repeat("=a", size),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("make", HOSTILE_SHAPES.values(), ids=HOSTILE_SHAPES.keys())
def test_every_rule_reads_a_hostile_text_in_linear_time(make, monkeypatch):
    """Half a megabyte of each hostile shape, length cap lifted, is scrubbed whole within the hang guard."""
    monkeypatch.setattr(scrubbing_text, "TEXT_LIMIT", 2 * HOSTILE_SIZE)
    shown = scrub_text(make(HOSTILE_SIZE))
    assert CUT.search(shown) is None


@pytest.mark.timeout(60)
@pytest.mark.parametrize("make", HOSTILE_SHAPES.values(), ids=HOSTILE_SHAPES.keys())
def test_a_hostile_megabyte_is_cut_to_the_limit(make):
    """A megabyte of each hostile shape comes back as at most TEXT_LIMIT characters and the cut marker."""
    shown = scrub_text(make(1024 * 1024))
    marker = CUT.search(shown)
    assert marker is not None
    body = shown[: marker.start()]
    assert len(body) - (len(MASK) - 1) * body.count(MASK) <= TEXT_LIMIT


def test_the_cut_part_is_never_shown():
    """A secret across the cut is dropped whole, not shown in part; the marker counts what was cut."""
    token = "ghp_T6zzPItvFCUCO79z5MONALjHfjOLa3L37gJM"
    text = "a " * ((TEXT_LIMIT - 10) // 2) + token + " tail"
    shown = scrub_text(text)
    assert "ghp_" not in shown
    assert "T6zz" not in shown
    kept = shown[: CUT.search(shown).start()]  # type: ignore[union-attr]
    assert int(CUT.search(shown)[1]) == len(text) - len(kept)  # type: ignore[index]


def test_a_cut_text_is_not_cut_again():
    """Scrubbing a cut text again keeps it, and its count, as it was."""
    once = scrub_text("password=x " * TEXT_LIMIT)
    assert scrub_text(once) == once


@pytest.mark.timeout(60)
def test_a_huge_mapping_is_cut_after_the_item_limit():
    """A mapping of a million items shows at most ITEM_LIMIT of them and says how many were cut."""
    scrubbed = scrub({f"VAR_{index}": "x" for index in range(1_000_000)})
    assert len(scrubbed) <= ITEM_LIMIT + 1
    assert re.fullmatch(r"\.\.\.\[\d+ items cut\]", scrubbed["..."])
    assert scrub(scrubbed) == scrubbed


@pytest.mark.timeout(60)
@pytest.mark.parametrize("container", [list, tuple, set, frozenset])
def test_huge_sequences_and_sets_are_cut_after_the_item_limit(container):
    """A list, tuple or set of a million items is cut, with a marker; a set is not sorted whole."""
    scrubbed = scrub(container(range(1_000_000)))
    assert len(scrubbed) == ITEM_LIMIT
    assert scrubbed[-1] == f"...[{1_000_000 - ITEM_LIMIT + 1} items cut]"
    assert scrub(scrubbed) == scrubbed


@pytest.mark.timeout(60)
def test_the_text_of_one_call_is_bounded_in_total():
    """A thousand strings at the length limit are read up to TOTAL_TEXT_LIMIT characters; the rest are cut."""
    scrubbed = scrub(["word " * (TEXT_LIMIT // 5)] * 1000)
    shown = sum(len(item) for item in scrubbed)
    assert shown <= TOTAL_TEXT_LIMIT + 1000 * 40
    assert scrubbed[-1] == f"...[{TEXT_LIMIT - TEXT_LIMIT % 5} characters cut]"
    assert scrub(scrubbed) == scrubbed


def test_deep_nesting_is_cut_short():
    """Ten thousand nested lists, and JSON text nested as deep, are shown without an error."""
    value: object = "leaf"
    for _ in range(10_000):
        value = [value]
    assert "<nested too deeply>" in json.dumps(scrub(value))
    assert scrub({"CONFIG": "[" * 30_000 + "]" * 30_000})["CONFIG"].startswith("[[[")


class Hostile:
    """An object whose every way of being shown raises."""

    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no eq")

    __hash__ = object.__hash__


def test_objects_that_fail_to_print_are_named_not_raised():
    """Objects raising in __str__, __repr__ and __eq__, as values, keys and set items, are shown by type."""
    scrubbed = scrub({"value": Hostile(), Hostile(): 1, "set": {Hostile(), Hostile()}})
    assert scrubbed["value"] == "<unprintable Hostile>"
    assert scrubbed["<unprintable Hostile>"] == 1
    assert scrubbed["set"] == ["<unprintable Hostile>", "<unprintable Hostile>"]


def test_bytes_that_are_not_utf8_and_huge_integers_are_shown():
    """Bytes are decoded with replacement characters; an integer JSON cannot write is described."""
    scrubbed = scrub({"raw": b"\xff\xfe password=hunter2", "big": 10**10_000})
    assert scrubbed["raw"] == "\ufffd\ufffd password=********"
    assert scrubbed["big"].startswith("<integer of ")
    json.dumps(scrubbed)


TEXT_PIECES = st.sampled_from(
    [
        "password=",
        "token ",
        "Bearer ",
        "x://",
        "u:p@",
        "@",
        ":",
        "/",
        "=",
        '"',
        "'",
        "\\",
        "\n",
        " ",
        "-----BEGIN PRIVATE KEY-----",
        "-----END PRIVATE KEY-----",
        "eyJhbGciOiJIUzI1NiJ9",
        ".",
        "mysql",
        "-p",
        "--password",
        "<password>",
        "</password>",
        "ghp_T6zzPItvFCUCO79z5MONALjHfjOLa3L37gJM",
        "- api_key:",
        "  ",
        "{",
        "}",
        "[",
        "]",
        ",",
        "AKIAZBJZQCFGRZ3DAAX2",
        "Pjgf60zM2qr0EgKpcVMZlbHYqhdl",
        "hooks.slack.com/services/",
        MASK,
        "...[12 characters cut]",
        "aB3",
        "x",
        "password is ",
        "Zq7vXw2",
        "&token=",
        ";",
        "#",
        "(",
        ")",
        "scott/",
        "@//db:1521/svc",
        "sqlplus ",
        "--no-password ",
        "auth:\n  enabled: true\n",
        "  - secret: ",
        "|\n",
        "true",
        "$1",
        "-----BEGIN CERTIFICATE-----",
        "-----END CERTIFICATE-----",
        "AAAAC3NzaC1lZDI1NTE5AAAAIJPt/Ws074MGMqq8fD9Sch",
        "SHA256:",
        "sha384-",
    ]
)


@settings(max_examples=1000, deadline=None)
@given(pieces=st.lists(TEXT_PIECES, max_size=30))
def test_scrub_text_is_idempotent_on_any_mixture(pieces):
    """Any mixture of the rules' own characters and keywords scrubs without error, and again to the same."""
    once = scrub_text("".join(pieces))
    assert scrub_text(once) == once


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_scrub_text_never_raises(text):
    """Any Unicode text is scrubbed without an error, and scrubbing twice changes nothing."""
    once = scrub_text(text)
    assert scrub_text(once) == once
