"""Random structures and bytes through every reader of untrusted input: the answers and pack
loaders, the evidence reader, the enumeration SPEC reader and the CSV sample reader. Whatever
comes in, the CLI answers with success or one line and exit 2 — never an internal error (3),
and never after more than a few seconds."""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import EXAMPLES, Result

CELEBRITY = EXAMPLES / "spam-celebrity.yaml"
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SECONDS = 5

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["unknown", "label", "public", "range", "digits", "choices", "q", "ref"]),
)
structures = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=12), scalars), inner, max_size=4),
    ),
    max_leaves=20,
)


@contextlib.contextmanager
def fresh() -> Iterator[Path]:
    """A fresh folder per example (hypothesis reuses a test's fixtures across its examples)."""
    path = Path(tempfile.mkdtemp())
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _as_yaml(data: Any) -> str:
    try:
        return yaml.safe_dump(data, allow_unicode=True)
    except yaml.YAMLError:
        return repr(data)


def _judged(cli: Callable[..., Result], *args: str | Path) -> Result:
    start = time.monotonic()
    result = cli(*args)
    assert time.monotonic() - start < SECONDS, args
    assert result.code in (0, 1, 2), (result.code, result.err[-400:])
    if result.code == 2:
        assert result.err.count("\n") == 1, result.err[-400:]
        assert "Traceback" not in result.err
    return result


def _answers_shape(data: Any) -> Any:
    return {"threatmodel": 1, "answers": data}


@FUZZ
@given(
    body=st.one_of(
        structures.map(_as_yaml),
        structures.map(_answers_shape).map(_as_yaml),
        st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    )
)
def test_answers_files(cli: Callable[..., Result], body: str) -> None:
    with fresh() as workdir:
        path = workdir / "a.yaml"
        path.write_text(body, encoding="utf-8", errors="surrogatepass")
        _judged(cli, "report", path, "--format", "json")


def _evidence_shape(data: Any) -> Any:
    return {"format": "threatmodel.evidence/1", "measurements": [data]}


@FUZZ
@given(
    body=st.one_of(
        structures.map(lambda d: json.dumps(d, default=str)),
        structures.map(_evidence_shape).map(lambda d: json.dumps(d, default=str)),
        st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    )
)
def test_evidence_files(cli: Callable[..., Result], body: str) -> None:
    with fresh() as workdir:
        path = workdir / "evidence.json"
        path.write_text(body)
        _judged(cli, "report", CELEBRITY, "--evidence", path, "--format", "json")


def _spec_shape(fields: Any, rare: Any) -> Any:
    return {"columns": ["a"], "fields": {"a": fields}, "rare": rare}


@FUZZ
@given(
    body=st.one_of(
        structures.map(_as_yaml),
        st.builds(_spec_shape, structures, structures).map(_as_yaml),
        st.builds(
            _spec_shape,
            st.fixed_dictionaries(
                {},
                optional={
                    "range": st.lists(st.integers(-(10**20), 10**20), max_size=3),
                    "digits": st.integers(-2, 20),
                    "choices": st.lists(st.floats(), max_size=3),
                },
            ),
            st.fixed_dictionaries(
                {}, optional={"label": st.integers(-2, 3), "score_at_least": st.floats()}
            ),
        ).map(_as_yaml),
    )
)
def test_enumeration_specs(cli: Callable[..., Result], body: str) -> None:
    with fresh() as workdir:
        spec = workdir / "spec.yaml"
        spec.write_text(body)
        model = "tests.probe_models:allow_list"
        out = workdir / "e.json"
        _judged(cli, "probe", model, "--enumerate", spec, "--seconds", "0.3", "--out", out)


cells = st.one_of(
    st.integers(-3, 3).map(str),
    st.floats().map(str),
    st.text(alphabet=',"\n\r;x1.', max_size=6),
)


@FUZZ
@given(
    rows=st.lists(st.lists(cells, min_size=1, max_size=4), max_size=8),
    raw=st.binary(max_size=120),
    use_raw=st.booleans(),
)
def test_csv_samples(
    cli: Callable[..., Result], rows: list[list[str]], raw: bytes, use_raw: bool
) -> None:
    with fresh() as workdir:
        path = workdir / "m.csv"
        if use_raw:
            path.write_bytes(raw)
        else:
            path.write_text("a,b,y\n" + "\n".join(",".join(r) for r in rows) + "\n")
        args = ["--members", path, "--nonmembers", path, "--label", "y", "--out", workdir / "e"]
        _judged(cli, "probe", "tests.probe_models:allow_list", *args)


@FUZZ
@given(conditions=structures, threat=structures)
def test_rule_packs(cli: Callable[..., Result], conditions: Any, threat: Any) -> None:
    with fresh() as workdir:
        pack = workdir / "pk"
        assert cli("rules", "init", pack).code == 0
        (pack / "conditions.yaml").write_text(_as_yaml({"conditions": conditions}))
        (pack / "threats" / "extra-threat.yaml").write_text(_as_yaml(threat))
        _judged(cli, "rules", "lint", pack)
