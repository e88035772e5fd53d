"""Numbers as people write them, their display, and the engine version ranges of packs."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from threatmodel.language.numbers import format_number, parse_number
from threatmodel.pack.versions import newer, satisfies

HINT = "expected a number such as 10000000, 1e7, 10,000,000 or 10M, got"

# ---------------------------------------------------------------- parse_number: accepted


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # The forms CONTRACT.md section 2 names for ten million.
        pytest.param(10000000, 10_000_000, id="yaml-int"),
        pytest.param("1e7", 10_000_000, id="exponent"),
        pytest.param("1.0e7", 10_000_000, id="exponent-with-fraction"),
        pytest.param("10,000,000", 10_000_000, id="thousands-commas"),
        pytest.param("10M", 10_000_000, id="suffix-M"),
        # The other forms the module documents.
        pytest.param("2.5k", 2_500, id="suffix-k-fraction"),
        pytest.param("1_000", 1_000, id="underscores"),
        pytest.param("1bn", 1_000_000_000, id="suffix-bn"),
        pytest.param("2B", 2_000_000_000, id="suffix-B"),
        pytest.param("3g", 3_000_000_000, id="suffix-g"),
        pytest.param("1t", 1_000_000_000_000, id="suffix-t"),
        pytest.param("10m", 10_000_000, id="lowercase-m-is-million"),
        pytest.param("10 M", 10_000_000, id="space-before-suffix"),
        pytest.param("  42  ", 42, id="surrounding-space"),
        pytest.param("1E7", 10_000_000, id="capital-E"),
        pytest.param("1.5e+3", 1_500, id="signed-exponent"),
        pytest.param("10,000,000.25", 10_000_000.25, id="commas-and-fraction"),
        pytest.param("0.01", 0.01, id="fraction"),
        pytest.param(".5", 0.5, id="leading-dot"),
        pytest.param("-5", -5, id="negative"),
        pytest.param("+7", 7, id="explicit-plus"),
        pytest.param(0.25, 0.25, id="yaml-float"),
        pytest.param(0, 0, id="zero"),
        pytest.param(10**20, 10**20, id="big-int-kept-exact"),
    ],
)
def test_accepted(value: object, expected: float) -> None:
    result = parse_number(value)
    assert result == expected
    assert type(result) is type(expected)


def test_whole_floats_from_text_become_ints() -> None:
    assert type(parse_number("1.0e7")) is int
    assert type(parse_number("2.5k")) is int
    assert type(parse_number("2.5")) is float


def test_a_yaml_float_is_returned_as_given() -> None:
    assert type(parse_number(1e7)) is float


# ---------------------------------------------------------------- parse_number: refused


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("abc", f"{HINT} 'abc'", id="word"),
        pytest.param("", f"{HINT} ''", id="empty"),
        pytest.param("1,00", f"{HINT} '1,00'", id="bad-grouping"),
        pytest.param("12,34", f"{HINT} '12,34'", id="bad-grouping-2"),
        pytest.param("1k2", f"{HINT} '1k2'", id="suffix-in-the-middle"),
        pytest.param("0x10", f"{HINT} '0x10'", id="hex"),
        pytest.param("--1", f"{HINT} '--1'", id="double-sign"),
        pytest.param("inf", f"{HINT} 'inf'", id="inf-text"),
        pytest.param("nan", f"{HINT} 'nan'", id="nan-text"),
        pytest.param("1e400", "expected a finite number, got '1e400'", id="overflows-to-inf"),
        pytest.param(math.inf, "expected a finite number, got inf", id="inf-float"),
        pytest.param(math.nan, "expected a finite number, got nan", id="nan-float"),
        pytest.param(True, "expected a number, got True", id="bool-true"),
        pytest.param(False, "expected a number, got False", id="bool-false"),
        pytest.param(None, "expected a number, got None", id="none"),
        pytest.param([1], "expected a number, got [1]", id="list"),
        pytest.param({"a": 1}, "expected a number, got {'a': 1}", id="dict"),
    ],
)
def test_refused(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        parse_number(value)
    assert str(info.value) == message


@pytest.mark.parametrize("text", ["1,000,00", "1,0000", "1,2345", "10,000,0"])
def test_misplaced_commas_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected a number"):
        parse_number(text)


# ---------------------------------------------------------------- parse_number: properties


@given(st.integers(min_value=0, max_value=10**15 - 1))
def test_any_grouped_or_plain_integer_parses_back(n: int) -> None:
    assert parse_number(f"{n:,}") == n
    assert parse_number(str(n)) == n
    assert parse_number(f"{n:_}") == n
    assert type(parse_number(f"{n:,}")) is int


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_finite_float_is_accepted_as_given(x: float) -> None:
    assert parse_number(x) == x
    assert parse_number(repr(x)) == x


# ---------------------------------------------------------------- format_number


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param(0, "0", id="zero"),
        pytest.param(0.0, "0", id="zero-float"),
        pytest.param(10_000_000, "10,000,000", id="int-grouped"),
        pytest.param(1e7, "10,000,000", id="whole-float-grouped"),
        pytest.param(-1_234_567, "-1,234,567", id="negative-grouped"),
        pytest.param(999, "999", id="below-a-thousand"),
        pytest.param(1000, "1,000", id="a-thousand"),
        pytest.param(0.058, "0.058", id="small-fraction"),
        pytest.param(0.001, "0.001", id="at-the-small-limit"),
        pytest.param(1.5e-7, "1.5e-07", id="tiny-scientific"),
        pytest.param(0.0009, "0.0009", id="just-below-small-limit"),
        pytest.param(2.5, "2.5", id="short-fraction"),
        pytest.param(12.345, "12.3", id="three-significant"),
        pytest.param(123.456, "123", id="hundreds-no-decimals"),
        pytest.param(1234.56, "1,235", id="thousands-rounded"),
        pytest.param(99.95, "100", id="rounds-up"),
        pytest.param(1e15, "1e+15", id="huge-scientific"),
        pytest.param(1.25e16, "1.2e+16", id="huge-two-significant"),
    ],
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text


@given(st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1))
def test_format_number_of_an_int_parses_back(n: int) -> None:
    assert parse_number(format_number(n)) == n


# ---------------------------------------------------------------- versions.satisfies


@pytest.mark.parametrize(
    ("version", "spec", "expected"),
    [
        pytest.param("0.1.0", ">=0.1,<1", True, id="in-range"),
        pytest.param("0.9.9", ">=0.1,<1", True, id="top-of-range"),
        pytest.param("1.0.0", ">=0.1,<1", False, id="upper-bound-excluded"),
        pytest.param("0.0.9", ">=0.1,<1", False, id="below-range"),
        pytest.param("0.1", ">=0.1.0", True, id="short-version-padded"),
        pytest.param("0.1.0", "==0.1", True, id="equal-padded"),
        pytest.param("0.1.1", "==0.1", False, id="not-equal"),
        pytest.param("0.2.0", "!=0.1", True, id="not-equal-op"),
        pytest.param("0.1.0", "!=0.1.0", False, id="not-equal-op-false"),
        pytest.param("0.1.0", ">0.1", False, id="strictly-greater-false"),
        pytest.param("0.1.1", ">0.1", True, id="strictly-greater"),
        pytest.param("0.1.5", "<=0.1.5", True, id="at-most"),
        pytest.param("0.10.0", ">0.9", True, id="numeric-not-lexical"),
        pytest.param("2.0.0", "<10", True, id="numeric-not-lexical-major"),
        pytest.param("0.1.0+local.7", "==0.1.0", True, id="local-suffix-ignored"),
        pytest.param("0.1.0", " >= 0.1 , < 1 ", True, id="spaces"),
        pytest.param("5.0.0", ">=1", True, id="single-clause"),
    ],
)
def test_satisfies(version: str, spec: str, expected: bool) -> None:
    assert satisfies(version, spec) is expected


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param("", id="empty"),
        pytest.param(">=", id="no-version"),
        pytest.param("latest", id="word"),
        pytest.param(">=0.1;<1", id="semicolon"),
        pytest.param(">=0.1,", id="trailing-comma"),
        pytest.param("=>0.1", id="reversed-operator"),
        pytest.param("^1.0", id="caret"),
    ],
)
def test_satisfies_refuses_a_bad_spec(spec: str) -> None:
    with pytest.raises(ValueError, match=r"cannot read version range") as info:
        satisfies("0.1.0", spec)
    assert str(info.value) == f"cannot read version range {spec!r} (PEP 440, e.g. >=0.1,<1)"


@pytest.mark.parametrize(
    ("version", "spec", "expected"),
    [
        # What the hand-written parser got wrong (issue 14): PEP 440 as pip reads it.
        pytest.param("0.2.0rc1", ">=0.2", False, id="pre-release-comes-before-its-release"),
        pytest.param("0.1.7", "~=0.1", True, id="compatible-release"),
        pytest.param("1.0.0", "~=0.1", False, id="compatible-release-upper"),
        pytest.param("0.3.2", "==0.*", True, id="wildcard"),
        pytest.param("1.0.0", "==0.*", False, id="wildcard-excludes"),
        pytest.param("0.3.0.dev0", ">=0.1,<1", True, id="dev-build-of-the-tool-loads-packs"),
    ],
)
def test_satisfies_follows_pep_440(version: str, spec: str, expected: bool) -> None:
    assert satisfies(version, spec) is expected


def test_semantic_pack_versions_order_by_release() -> None:
    assert newer("1.2.0-internal.3", "1.1.9")
    assert not newer("1.0.0", "1.0.0+build.5")
