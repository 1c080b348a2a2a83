"""``--lang`` is read before argparse parses, so that help and usage errors are translated too."""

from __future__ import annotations

import argparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stagematch import i18n
from stagematch.cli.language import argparse_in_language, language_in


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["solve", "data", "--lang", "fr"], "fr"),
        (["solve", "--lang=en", "data"], "en"),
        (["--lang", "FR", "demo"], "FR"),  # argparse is left to reject the case it dislikes
        (["solve", "data", "--lang"], None),  # no value: argparse says so
        (["solve", "data", "--lang", "de"], None),  # not a language we speak
        (["solve", "--language", "fr"], None),  # not the option
        (["generate", "pilot", "out"], None),
        (["solve", "--lang", "de", "--lang", "fr"], "fr"),  # the first one we speak
    ],
)
def test_the_language_of_a_command_line(argv: list[str], expected: str | None) -> None:
    assert language_in(argv) == expected


@given(st.lists(st.text(max_size=12).filter(lambda a: not a.startswith("--lang")), max_size=6))
def test_without_lang_there_is_no_language(argv: list[str]) -> None:
    assert language_in(argv) is None


def test_argparse_speaks_french_inside_only() -> None:
    """argparse translates as it builds a parser and as it formats: both happen inside."""
    with i18n.language("fr"), argparse_in_language():
        french = argparse.ArgumentParser(prog="p").format_help()
    english = argparse.ArgumentParser(prog="p").format_help()
    assert "afficher cette aide" in french
    assert "show this help message" in english
