"""The pack cache: a hit gives the same pack as a full load, and any change misses it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from threatmodel.pack import cache as packcache
from threatmodel.pack.layered import Pack
from threatmodel.pack.load import load_packs


def _same(a: Pack, b: Pack) -> None:
    for name in (
        "packs",
        "sections",
        "questions",
        "threats",
        "conditions",
        "scoring",
        "screening",
        "baselines",
        "owner",
        "origin",
    ):
        assert getattr(a, name) == getattr(b, name), name


def _org_pack(tmp_path: Path) -> Path:
    folder = tmp_path / "acme"
    (folder / "threats").mkdir(parents=True)
    (folder / "pack.yaml").write_text('name: acme\nversion: 1.0.0\nengine: ">=0.1,<1"\n')
    threat = (ROOT / "rules" / "threats" / "location-disclosure.yaml").read_text()
    (folder / "threats" / "acme-threat.yaml").write_text(
        threat.replace("id: location-disclosure", "id: acme-threat")
    )
    return folder


def test_a_cached_load_equals_a_full_load(tmp_path: Path) -> None:
    org = _org_pack(tmp_path)
    full = load_packs([org])
    assert len(list(packcache.folder().glob("pack-*.json"))) >= 1
    _same(load_packs([org]), full)


def test_a_changed_rule_misses_the_cache(tmp_path: Path) -> None:
    org = _org_pack(tmp_path)
    assert load_packs([org]).threats["acme-threat"].title.startswith("The decision reveals")
    path = org / "threats" / "acme-threat.yaml"
    path.write_text(
        path.read_text().replace(
            "title: The decision reveals", "title: Changed, the decision reveals"
        )
    )
    assert load_packs([org]).threats["acme-threat"].title.startswith("Changed,")


def test_a_broken_cache_file_is_ignored(tmp_path: Path) -> None:
    full = load_packs()
    for path in packcache.folder().glob("pack-*.json"):
        path.write_text('{"format": 1, "sections": 3}')
    _same(load_packs(), full)


def test_an_unwritable_cache_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file where the folder should be
    _same(load_packs(), load_packs())


def test_a_fresh_process_reads_what_another_wrote(tmp_path: Path) -> None:
    """The cache is written by one run and read by the next, which has built no model yet."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "SOURCE_DATE_EPOCH": "0"}
    command = [
        sys.executable,
        "-m",
        "threatmodel",
        "report",
        str(ROOT / "examples" / "headscarf-detector.yaml"),
        "-f",
        "json",
    ]
    first = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    assert list((tmp_path / "cache" / "threatmodel").glob("pack-*.json"))
    second = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    assert second.stdout == first.stdout


def test_an_edit_of_the_same_size_misses_the_cache(tmp_path: Path) -> None:
    """Digests are reused by each file's size and modification time: an edit that keeps the
    size still changes the time, and so the pack is read again."""
    import os

    org = _org_pack(tmp_path)
    load_packs([org])
    path = org / "threats" / "acme-threat.yaml"
    before = path.stat()
    path.write_text(path.read_text().replace("The decision reveals", "The decision revealz"))
    assert path.stat().st_size == before.st_size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000))
    assert load_packs([org]).threats["acme-threat"].title.startswith("The decision revealz")


def test_a_new_threat_file_misses_the_cache(tmp_path: Path) -> None:
    org = _org_pack(tmp_path)
    assert "acme-other" not in load_packs([org]).threats
    text = (org / "threats" / "acme-threat.yaml").read_text()
    (org / "threats" / "acme-other.yaml").write_text(text.replace("acme-threat", "acme-other"))
    assert "acme-other" in load_packs([org]).threats


def test_a_forged_remembered_digest_is_not_trusted_blindly(tmp_path: Path) -> None:
    """A stamp file holding something that is not a digest is ignored and the files hashed."""
    org = _org_pack(tmp_path)
    load_packs([org])
    for stamp in packcache.folder().glob("stamp-*.txt"):
        stamp.write_text("not a digest")
    assert "acme-threat" in load_packs([org]).threats
