"""The one set of rules for written content: each value that breaks one gets a sentence, every
value that keeps them gets None."""

import pytest

from annotation.domain.input_rules import (
    INT32_MAX,
    int_problem,
    name_problem,
    tag_problem,
    text_problem,
    version_problem,
)


@pytest.mark.parametrize(
    "text",
    [
        "Does the head move?",
        "Is 2 < 3?",
        "a <- b",
        "Line one\nline two\ttab",
        "Café, naïve, 日本語",
        "x > y & z",
        "x < y",
        "3<4",
    ],
)
def test_plain_text_passes(text):
    assert text_problem(text, required=True) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "missing"),
        ("   ", "missing (only spaces)"),
        ("a\x00b", "U+0000"),
        ("a\x1bb", "U+001B"),
        ("a\u2028b", "U+2028"),
        ("a\x85b", "U+0085"),
        ("<details open ontoggle=alert(1)>", "contains markup '<details open ontoggle=alert(1)>'"),
        ("ok </b>", "contains markup"),
        ("<!-- x -->", "contains markup"),
        ("<script>", "contains markup"),
        ("x" * 20_001, "is 20001 characters; the limit is 20000"),
        (7, "must be a string, found int"),
    ],
)
def test_text_problems_say_what_is_wrong(text, expected):
    assert expected in text_problem(text, required=True)


def test_one_line_fields_refuse_breaks():
    assert text_problem("a\nb", required=True, multiline=False) == "must be one line (no line breaks or tabs)"
    assert text_problem("", required=False) is None


@pytest.mark.parametrize("tag", ["v1.0", "2026-12-rc1", "v2+fix", "A_b"])
def test_tags_that_pass(tag):
    assert tag_problem(tag) is None


@pytest.mark.parametrize(
    "tag", ["", " ", "v1\r\nX-Evil: 1", 'v3"; filename="evil.html', "v\u2028", "ver\u00e9", ".hidden", "a/b", "x" * 65]
)
def test_tags_that_fail(tag):
    assert tag_problem(tag)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, None),
        ("12", None),
        (0, "between 1"),
        (-1, "between 1"),
        ("-1", "between 1"),
        ("1e3", "whole number"),
        (True, "whole number"),
        ("١٢", "whole number"),
        (10**20, "between 1"),
        ("9" * 40, "whole number"),
        (None, "missing"),
        ("", "missing"),
        (INT32_MAX + 1, "between 1"),
    ],
)
def test_versions_are_strict(value, expected):
    problem = version_problem(value)
    assert problem is None if expected is None else expected in problem


def test_int_range():
    assert int_problem(3_000_000_000, minimum=1) == f"must be between 1 and {INT32_MAX}"
    assert int_problem(30, minimum=1) is None


@pytest.mark.parametrize(
    ("name", "ok"), [("MA-Bench Demo", True), (" padded", False), ("a\nb", False), ("<b>", False), ("", False)]
)
def test_names(name, ok):
    assert (name_problem(name) is None) is ok
