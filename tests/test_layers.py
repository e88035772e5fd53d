"""The layering, written down as import-linter contracts in pyproject.toml, holds; a deliberate
violation breaks it; and nothing outside `cli/` writes to the terminal or leaves the process."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

LINT_IMPORTS = [str(Path(sys.executable).parent / "lint-imports")]


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LINT_IMPORTS, "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(cwd)},
    )


def test_every_contract_is_kept() -> None:
    proc = _lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "BROKEN" not in proc.stdout
    assert proc.stdout.count("KEPT") == 6


def test_an_engine_that_imports_the_cli_breaks_the_layers(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "threatmodel", tmp_path / "threatmodel")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    scoring = tmp_path / "threatmodel" / "engine" / "scoring.py"
    scoring.write_text(scoring.read_text() + "\nfrom threatmodel.cli.output import say\n")
    proc = _lint_imports(tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "threatmodel.engine.scoring -> threatmodel.cli.output" in proc.stdout


def test_an_engine_that_reads_yaml_breaks_its_contract(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "threatmodel", tmp_path / "threatmodel")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    resolve = tmp_path / "threatmodel" / "engine" / "resolve.py"
    resolve.write_text(resolve.read_text() + "\nimport yaml\n")
    proc = _lint_imports(tmp_path)
    assert proc.returncode == 1
    assert "The engine depends on pack models, never on files, caches or YAML BROKEN" in (
        proc.stdout
    )


_TERMINAL = {("sys", "stdout"), ("sys", "stderr"), ("sys", "exit")}


def _terminal_uses(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        name = _called_name(node) or _attribute_name(node)
        if name in ("print()", "exit()", "quit()", *(f"{m}.{a}" for m, a in _TERMINAL)):
            found.append(f"{path.name}:{getattr(node, 'lineno', 0)} {name}")
    return found


def _called_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id + "()"
    return None


def _attribute_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return None


def test_nothing_outside_the_cli_writes_to_the_terminal_or_exits() -> None:
    package = ROOT / "threatmodel"
    outside = [p for p in package.rglob("*.py") if package / "cli" not in p.parents]
    assert len(outside) > 40
    uses = [use for path in outside for use in _terminal_uses(path)]
    assert uses == []


def test_the_package_keeps_few_modules_at_its_top_and_none_large() -> None:
    package = ROOT / "threatmodel"
    assert len(list(package.glob("*.py"))) <= 8
    sizes = {
        p.relative_to(package).as_posix(): len(p.read_text().splitlines())
        for p in package.rglob("*.py")
    }
    assert {name: n for name, n in sizes.items() if n > 400} == {}
