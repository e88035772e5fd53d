"""What users install: the wheel carries the built-in rules and templates, and runs from them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (found,) = out.glob("threatmodel-*.whl")
    return found


def test_wheel_contains_rules_and_templates(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    rules = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "rules").rglob("*.yaml"))
    templates = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "templates").rglob("*.j2"))
    assert rules
    assert templates
    for path in rules + templates:
        assert f"threatmodel/_data/{path}" in names, path
    web = sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "threatmodel" / "web").rglob("*")
        if p.suffix in (".j2", ".js", ".css")
    )
    assert "threatmodel/web/static/form.js" in web
    assert set(web) <= names  # the web form's pages, script and style ship in the wheel


def test_installed_wheel_reports_without_the_checkout(wheel: Path, tmp_path: Path) -> None:
    """Installed from the wheel alone (deps from this environment), run far from the checkout."""
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target), "SOURCE_DATE_EPOCH": "0"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "threatmodel",
            "report",
            str(EXAMPLES / "spam-by-country.yaml"),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    code = "import threatmodel.resources as r; print(r.data_dir('rules'))"
    where = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=True,
    ).stdout.strip()
    assert where == str(target / "threatmodel" / "_data" / "rules")
    assert json.loads(proc.stdout)["overall_risk"] == "critical"
