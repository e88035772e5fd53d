"""The safe YAML loader: plain data in, everything else refused with the file and the line."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from threatmodel.errors import InputError
from threatmodel.pack import yamlsafe
from threatmodel.pack.yamlsafe import MAX_BYTES, MAX_DEPTH, Document, load_yaml, parse_yaml

F = Path("f.yaml")


def refusal(text: str | bytes) -> InputError:
    """The InputError parse_yaml raises on `text` (which must be refused)."""
    with pytest.raises(InputError) as info:
        parse_yaml(text, F)
    return info.value


# ---------------------------------------------------------------- what loads


def test_plain_data_loads() -> None:
    text = (
        "threatmodel: 1\n"
        "name: SMS spam filter\n"
        "quoted: '10'\n"
        "ratio: 0.25\n"
        "big: 1.0e+7\n"
        "not_a_float: 1.0e7\n"
        "flag: false\n"
        "nothing: ~\n"
        "empty:\n"
        "items: [label, score]\n"
        "nested:\n"
        "  deeper: {a: 1, b: [x, {c: true}]}\n"
    )
    assert parse_yaml(text, F).data == {
        "threatmodel": 1,
        "name": "SMS spam filter",
        "quoted": "10",
        "ratio": 0.25,
        "big": 1.0e7,
        "not_a_float": "1.0e7",  # YAML 1.1 needs a sign in the exponent (CONTRACT.md section 2)
        "flag": False,
        "nothing": None,
        "empty": None,
        "items": ["label", "score"],
        "nested": {"deeper": {"a": 1, "b": ["x", {"c": True}]}},
    }


def test_dates_and_timestamps_load() -> None:
    doc = parse_yaml("due: 2027-01-31\nat: 2026-03-04 05:06:07\n", F)
    assert doc.data == {"due": dt.date(2027, 1, 31), "at": dt.datetime(2026, 3, 4, 5, 6, 7)}
    assert type(doc.data["due"]) is dt.date


def test_bytes_are_decoded_and_a_bom_is_dropped() -> None:
    doc = parse_yaml("\ufeffname: Zoë\n".encode(), F)
    assert doc.data == {"name": "Zoë"}


def test_empty_text_is_none() -> None:
    assert parse_yaml("", F).data is None
    assert parse_yaml("# only a comment\n", F).data is None


def test_document_keeps_path_and_text() -> None:
    doc = parse_yaml("a: 1\n", F)
    assert doc.path == F
    assert doc.text == "a: 1\n"


def test_load_yaml_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("answers:\n  system:\n    name: x\n", encoding="utf-8")
    doc = load_yaml(path)
    assert doc.path == path
    assert doc.data == {"answers": {"system": {"name": "x"}}}
    assert doc.line_of(("answers", "system", "name")) == 3


def test_explicit_core_tags_and_the_non_specific_tag_are_plain_data() -> None:
    text = "a: !!str 10\nb: !!int '7'\nc: ! 5\nd: !!map {x: !!seq [1]}\n"
    assert parse_yaml(text, F).data == {"a": "10", "b": 7, "c": 5, "d": {"x": [1]}}
    assert parse_yaml(text, F).data == yaml.safe_load(text)


# ---------------------------------------------------------------- line numbers


LINES_TEXT = """\
threatmodel: 1
answers:
  system:
    name: Spam filter

  outputs:
    exposed:
      - label
      - score
    reveals: [location]
measures:
  - threat: input-enumeration
    measure: rate-limit
"""


@pytest.mark.parametrize(
    ("loc", "line"),
    [
        pytest.param((), 1, id="root"),
        pytest.param(("threatmodel",), 1, id="top-level-scalar"),
        pytest.param(("answers",), 2, id="block-mapping-value-is-its-key-line"),
        pytest.param(("answers", "system"), 3, id="section"),
        pytest.param(("answers", "system", "name"), 4, id="nested-scalar"),
        pytest.param(("answers", "outputs"), 6, id="after-blank-line"),
        pytest.param(("answers", "outputs", "exposed"), 7, id="block-list-key"),
        pytest.param(("answers", "outputs", "exposed", 0), 8, id="block-list-item-0"),
        pytest.param(("answers", "outputs", "exposed", 1), 9, id="block-list-item-1"),
        pytest.param(("answers", "outputs", "reveals", 0), 10, id="flow-list-item"),
        pytest.param(("measures", 0), 12, id="list-of-mappings-item"),
        pytest.param(("measures", 0, "threat"), 12, id="first-key-of-item"),
        pytest.param(("measures", 0, "measure"), 13, id="second-key-of-item"),
        pytest.param(("answers", "system", "nope"), 3, id="unknown-falls-back-to-nearest-parent"),
        pytest.param(("answers", "outputs", "exposed", 5), 7, id="missing-index-falls-back"),
        pytest.param(("nowhere", "at", "all"), 1, id="unknown-top-level-falls-back-to-root"),
    ],
)
def test_line_of(loc: tuple[str | int, ...], line: int) -> None:
    assert parse_yaml(LINES_TEXT, F).line_of(loc) == line


def test_line_of_without_any_lines_is_none() -> None:
    assert Document(path=F, data=None).line_of(("a", 0)) is None


def test_document_error_points_at_the_line() -> None:
    err = parse_yaml(LINES_TEXT, F).error(("answers", "outputs", "reveals"), "bad value")
    assert err.message == "f.yaml:10: bad value"
    assert err.line == 10
    assert err.path == F


# ---------------------------------------------------------------- refusals


TAG = "is not allowed (only plain data is loaded)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "a: 1\nb: &x 2\n",
            "f.yaml:2: YAML anchor '&x' is not allowed; write the value out",
            id="anchor",
        ),
        pytest.param(
            "a: 1\nb:\n  c: [1, *x]\n",
            "f.yaml:3: YAML alias '*x' is not allowed; write the value out",
            id="alias",
        ),
        pytest.param(
            "a: 1\nb: [&x 1, 2]\n",
            "f.yaml:2: YAML anchor '&x' is not allowed; write the value out",
            id="anchor-in-flow-list",
        ),
        pytest.param(
            "base: &b {x: 1}\nother: *b\n",
            "f.yaml:1: YAML anchor '&b' is not allowed; write the value out",
            id="anchor-then-alias",
        ),
        pytest.param(
            'a: &a ["lol", "lol", "lol"]\n'
            "b: &b [*a, *a, *a]\n"
            "c: &c [*b, *b, *b]\n"
            "d: [*c, *c, *c]\n",
            "f.yaml:1: YAML anchor '&a' is not allowed; write the value out",
            id="billion-laughs",
        ),
        pytest.param(
            "a: 1\nname: x\nname: y\n",
            "f.yaml:3: duplicate key 'name'",
            id="duplicate-key",
        ),
        pytest.param(
            "answers:\n  system:\n    name: a\n    purpose: b\n    name: c\n",
            "f.yaml:5: duplicate key 'name'",
            id="duplicate-key-nested",
        ),
        pytest.param(
            "items:\n  - {a: 1, a: 2}\n",
            "f.yaml:2: duplicate key 'a'",
            id="duplicate-key-in-flow-mapping-in-list",
        ),
        pytest.param(
            "a: 1\nb: !!python/object/apply:os.system ['echo pwned']\n",
            f"f.yaml:2: YAML tag '!!python/object/apply:os.system' {TAG}",
            id="python-object-apply",
        ),
        pytest.param(
            "a: !!python/name:os.system ''\n",
            f"f.yaml:1: YAML tag '!!python/name:os.system' {TAG}",
            id="python-name",
        ),
        pytest.param(
            "a:\n  b: !!python/object:collections.OrderedDict {}\n",
            f"f.yaml:2: YAML tag '!!python/object:collections.OrderedDict' {TAG}",
            id="python-object-mapping",
        ),
        pytest.param("a: !foo bar\n", f"f.yaml:1: YAML tag '!foo' {TAG}", id="custom-tag"),
        pytest.param(
            "a: !<tag:example.com,2000:x> 1\n",
            f"f.yaml:1: YAML tag 'tag:example.com,2000:x' {TAG}",
            id="verbatim-tag",
        ),
        pytest.param(
            "a: !!binary aGVsbG8=\n", f"f.yaml:1: YAML tag '!!binary' {TAG}", id="binary-tag"
        ),
        pytest.param("a: !!set {x, y}\n", f"f.yaml:1: YAML tag '!!set' {TAG}", id="set-tag"),
        pytest.param("a: !!omap [x: 1]\n", f"f.yaml:1: YAML tag '!!omap' {TAG}", id="omap-tag"),
        pytest.param(
            "a: 1\n---\nb: 2\n",
            "f.yaml:2: more than one YAML document in the file",
            id="two-documents",
        ),
        pytest.param(
            "? [a, b]\n: 1\n", "f.yaml:1: mapping keys must be plain scalars", id="list-as-key"
        ),
        pytest.param(
            "x:\n  {a: 1}: 2\n", "f.yaml:2: mapping keys must be plain scalars", id="map-as-key"
        ),
        pytest.param(
            "due: 2027-02-30\n",
            "f.yaml:1: cannot read '2027-02-30' as timestamp: day is out of range for month",
            id="impossible-date",
        ),
    ],
)
def test_refused_with_file_and_line(text: str, message: str) -> None:
    err = refusal(text)
    assert err.message == message
    assert err.path == F


@pytest.mark.parametrize("loader", ["CSafeLoader", "SafeLoader"])
@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        pytest.param(
            "a: 1\nb: [unclosed\n",
            3,
            {
                "CSafeLoader": "did not find expected ',' or ']'",
                "SafeLoader": "expected ',' or ']', but got '<stream end>'",
            },
            id="unclosed-flow-list",
        ),
        pytest.param(
            "a: 1\n b: 2\n",
            2,
            {
                "CSafeLoader": "mapping values are not allowed in this context",
                "SafeLoader": "mapping values are not allowed here",
            },
            id="bad-indent",
        ),
        pytest.param(
            "a: 1\nb: 'unterminated\n",
            3,
            {
                "CSafeLoader": "found unexpected end of stream",
                "SafeLoader": "found unexpected end of stream",
            },
            id="unterminated-quote",
        ),
        pytest.param(
            "a: [1, 2]]\n",
            1,
            {
                "CSafeLoader": "did not find expected key",
                "SafeLoader": "expected <block end>, but found ']'",
            },
            id="stray-bracket",
        ),
    ],
)
def test_malformed_yaml_is_refused_with_its_line(
    monkeypatch: pytest.MonkeyPatch, loader: str, text: str, line: int, problem: dict[str, str]
) -> None:
    """With libyaml (the default where installed) and with PyYAML's pure-Python parser."""
    if not hasattr(yaml, loader):
        pytest.skip(f"PyYAML built without {loader}")
    monkeypatch.setattr(yamlsafe, "_Loader", getattr(yaml, loader))
    err = refusal(text)
    assert err.message == f"f.yaml:{line}: invalid YAML: {problem[loader]}"
    assert err.line == line


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    depth = MAX_DEPTH + 6
    err = refusal("a: 1\nb: " + "[" * depth + "1" + "]" * depth + "\n")
    assert err.message == f"f.yaml:2: nesting deeper than {MAX_DEPTH} levels"


def test_nesting_deeper_than_the_limit_in_block_mappings_is_refused() -> None:
    # The root mapping is at depth 0; the key on line n, and the mapping it holds, at depth n:
    # the first thing deeper than 64 levels is the key on line 65.
    levels = MAX_DEPTH + 2
    text = "".join("  " * i + f"k{i}:\n" for i in range(levels)) + "  " * levels + "v\n"
    err = refusal(text)
    assert err.message == f"f.yaml:{MAX_DEPTH + 1}: nesting deeper than {MAX_DEPTH} levels"


def test_nesting_at_the_limit_loads() -> None:
    depth = MAX_DEPTH
    data = parse_yaml("[" * depth + "1" + "]" * depth, F).data
    for _ in range(depth):
        assert isinstance(data, list)
        data = data[0]
    assert data == 1


def test_pathological_nesting_is_refused_not_a_crash() -> None:
    depth = 20_000
    err = refusal("[" * depth + "]" * depth)
    assert err.message.startswith("f.yaml:1: ")
    assert "nesting" in err.message


def test_binary_file_is_refused() -> None:
    assert refusal(b"a: 1\n\0\0\0\x01\x02").message == "f.yaml: binary file, not YAML text"


def test_non_utf8_is_refused_with_the_byte_offset() -> None:
    err = refusal(b"name: caf\xe9\n")
    assert err.message == "f.yaml: not UTF-8 text (byte 9)"


def test_text_over_the_limit_is_refused() -> None:
    err = refusal("#" * (MAX_BYTES + 1))
    limit = f"{MAX_BYTES:,}"
    assert err.message == f"f.yaml: text is {MAX_BYTES + 1:,} characters; the limit is {limit}"


def test_control_character_refusal_is_one_line() -> None:
    err = refusal(b"a: 1\nb: x\x01y\n")
    assert "\n" not in err.message
    assert err.message.startswith("f.yaml:2: ")


# ---------------------------------------------------------------- load_yaml and the file system


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(InputError) as info:
        load_yaml(path)
    assert info.value.message == f"{path}: no such file"
    assert info.value.line is None


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_yaml(tmp_path)
    assert info.value.message == f"{tmp_path}: is a directory, not a YAML file"


def test_file_over_ten_megabytes_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: instant, and all NUL bytes if it were read
    with pytest.raises(InputError) as info:
        load_yaml(path)
    assert info.value.message == f"{path}: file is 10,485,761 bytes; the limit is 10,485,760"


def test_file_at_exactly_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: 1\n" + b"#" * (MAX_BYTES - 6) + b"\n")
    assert path.stat().st_size == MAX_BYTES
    assert load_yaml(path).data == {"a": 1}


def test_binary_file_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
    with pytest.raises(InputError) as info:
        load_yaml(path)
    assert info.value.message == f"{path}: binary file, not YAML text"


def test_refusal_in_a_file_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("threatmodel: 1\nanswers:\n  x: &a 1\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_yaml(path)
    assert info.value.message == f"{path}:3: YAML anchor '&a' is not allowed; write the value out"
    assert info.value.line == 3


# ---------------------------------------------------------------- round trip

# JSON-like data: what an answers file or a rule file is made of.
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_json_like = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=25,  # keeps nesting far below MAX_DEPTH
)


@settings(max_examples=300, deadline=None)
@given(data=_json_like, flow=st.booleans())
def test_safe_dump_round_trips(data: object, flow: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, sort_keys=False)
    loaded = parse_yaml(text.encode("utf-8"), F).data
    assert loaded == data
    assert _same_types(loaded, data)


def _same_types(a: object, b: object) -> bool:
    """Equal is not enough: 1 == 1.0 == True, and '1' must not come back as 1."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and isinstance(b, float):
        return math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list) and isinstance(b, list):
        return all(_same_types(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return all(_same_types(a[k], b[k]) for k in a)
    return True
