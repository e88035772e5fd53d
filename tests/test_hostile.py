"""Hostile files, as an attacker would write them: a model that runs code, a rule pack that
exhausts the machine, a template that costs without end, symlinks that leave their folder.
Each test reproduced its attack before the fix."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EXAMPLES, ROOT, Result
from threatmodel.errors import InputError

CELEBRITY = EXAMPLES / "spam-celebrity.yaml"
Cli = Callable[..., Result]


def _refused(result: Result) -> str:
    assert result.code == 2, (result.code, result.out[-300:], result.err[-300:])
    assert result.err.count("\n") == 1, result.err[-500:]
    assert "Traceback" not in result.err
    return result.err.strip()


# ------------------------------------------------------------------ 1. a crafted skops file


def _skops_with(tmp_path: Path, module: str, name: str, argument: str) -> Path:
    """A real LogisticRegression whose attributes gain one node that calls `module.name`."""
    import numpy as np
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    inputs = rng.random((60, 3))
    model = LogisticRegression().fit(inputs, (inputs[:, 0] > 0.5).astype(int))
    with zipfile.ZipFile(io.BytesIO(sio.dumps(model))) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    schema = json.loads(files.pop("schema.json"))
    attrs = schema["content"]
    text = {"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode"}
    attrs["content"]["evil"] = {
        "__class__": name,
        "__module__": module,
        "__loader__": "ConstructorFromReduceNode",
        "content": {
            "__class__": "tuple",
            "__module__": "builtins",
            "__loader__": "TupleNode",
            "content": [{**text, "content": json.dumps(argument), "is_json": True}],
        },
    }
    key_types = attrs["key_types"]["content"]
    key_types.append(dict(key_types[0]))
    path = tmp_path / "model.skops"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("schema.json", json.dumps(schema))
        for member, data in files.items():
            archive.writestr(member, data)
    return path


def _samples(tmp_path: Path) -> list[str]:
    rows = "a,b,c,y\n" + "".join(f"0.{i},0.{9 - i},0.5,{i % 2}\n" for i in range(10))
    (tmp_path / "m.csv").write_text(rows)
    (tmp_path / "n.csv").write_text(rows)
    return ["--members", str(tmp_path / "m.csv"), "--nonmembers", str(tmp_path / "n.csv")]


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("builtins", "exec"),
        ("builtins", "eval"),
        ("numpy.testing._private.utils", "runstring"),
    ],
)
def test_a_crafted_skops_file_runs_nothing(
    cli: Cli, tmp_path: Path, module: str, name: str
) -> None:
    marker = tmp_path / "PWNED"
    code = f"open({str(marker)!r}, 'w').write('x')"
    model = _skops_with(tmp_path, module, name, code)
    result = cli("probe", model, *_samples(tmp_path), "--label", "y", "--out", tmp_path / "e.json")
    line = _refused(result)
    assert not marker.exists()
    assert f"{module}.{name}" in line
    assert "--trust-model-file" in line


def test_a_crafted_open_call_opens_nothing(cli: Cli, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    model = _skops_with(tmp_path, "builtins", "open", str(victim))
    line = _refused(cli("probe", model, *_samples(tmp_path), "--label", "y", "--out", "e.json"))
    assert "builtins.open" in line
    assert victim.read_text() == "keep me"


@pytest.mark.parametrize("kind", ["forest", "neighbours", "calibrated"])
def test_real_models_load_with_the_exact_allow_list(tmp_path: Path, kind: str) -> None:
    import numpy as np
    import skops.io as sio
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import LinearSVC

    from threatmodel.probe.loading import load_model

    made = {
        "forest": RandomForestClassifier(n_estimators=3, random_state=0),
        "neighbours": KNeighborsClassifier(algorithm="ball_tree"),
        "calibrated": CalibratedClassifierCV(LinearSVC(), cv=2),
    }[kind]
    rng = np.random.default_rng(1)
    inputs = rng.random((60, 3))
    made.fit(inputs, (inputs[:, 0] > 0.5).astype(int))
    path = tmp_path / "m.skops"
    sio.dump(made, path)
    assert load_model(str(path), trust=False).predict_proba(inputs[:2]).shape == (2, 2)


def test_a_model_that_needs_a_function_is_refused_unless_trusted(tmp_path: Path) -> None:
    import numpy as np
    import skops.io as sio
    from sklearn.feature_selection import SelectKBest
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from threatmodel.probe.loading import load_model

    rng = np.random.default_rng(2)
    inputs = rng.random((60, 3))
    model = make_pipeline(SelectKBest(k=2), LogisticRegression())
    model.fit(inputs, (inputs[:, 0] > 0.5).astype(int))
    path = tmp_path / "m.skops"
    sio.dump(model, path)
    with pytest.raises(InputError, match=r"f_classif.*--trust-model-file"):
        load_model(str(path), trust=False)
    assert load_model(str(path), trust=True).predict_proba(inputs[:1]).shape == (1, 2)


def test_a_skops_archive_that_unpacks_huge_is_refused_unread(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bomb.skops"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("schema.json", b"\0" * (100 * 1024 * 1024))
    assert path.stat().st_size < 2_000_000
    start = time.monotonic()
    line = _refused(cli("probe", path, *_samples(tmp_path), "--label", "y", "--out", "e.json"))
    assert time.monotonic() - start < 5
    assert "schema.json" in line
    assert "104,857,600 bytes" in line


# ------------------------------------------------------------ 2. conditions that multiply


def _pack_with_conditions(tmp_path: Path, cli: Cli, lines: list[str], use: str) -> Path:
    pack = tmp_path / "pk"
    assert cli("rules", "init", pack).code == 0
    (pack / "conditions.yaml").write_text("conditions:\n" + "".join(f"  {x}\n" for x in lines))
    threat = pack / "threats" / "vendor-input-retention.yaml"
    text = threat.read_text()
    marker = "    - {ref: personal_inputs}"
    assert marker in text
    threat.write_text(text.replace(marker, f"{marker}\n    - {{ref: {use}}}", 1))
    return pack


def test_conditions_that_double_at_each_level_cost_their_text(
    cli: Cli, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    lines = ["c0: {q: outputs.logged, is: true}"]
    lines += [f"c{i}: {{all: [{{ref: c{i - 1}}}, {{ref: c{i - 1}}}]}}" for i in range(1, 25)]
    pack = _pack_with_conditions(tmp_path, cli, lines, "c24")
    start = time.monotonic()
    result = cli("report", CELEBRITY, "--rules", pack, "--format", "json")
    assert result.code == 0, result.err
    assert time.monotonic() - start < 5
    cache = tmp_path_factory.getbasetemp() / "cache" / "threatmodel"
    assert max(p.stat().st_size for p in cache.glob("pack-*.json")) < 2_000_000


def test_a_deep_chain_of_references_is_refused_with_its_line(cli: Cli, tmp_path: Path) -> None:
    lines = ["c0: {q: outputs.logged, is: true}"]
    lines += [f"c{i}: {{not: {{ref: c{i - 1}}}}}" for i in range(1, 950)]
    pack = _pack_with_conditions(tmp_path, cli, lines, "c949")
    line = _refused(cli("report", CELEBRITY, "--rules", pack))
    assert line == (
        f"threatmodel: {pack / 'conditions.yaml'}:66: conditions.c64: conditions nest 65 levels "
        "deep, counting the named conditions they use; the limit is 64"
    )


@pytest.mark.parametrize(
    ("lines", "line_no", "message"),
    [
        (["a: {ref: a}"], 2, "conditions.a.ref: 'a' is defined further down (or this is a cycle)"),
        (
            ["a: {any: [{ref: b}]}", "b: {ref: a}"],
            2,
            "conditions.a.any[0].ref: 'b' is defined further down (or this is a cycle)",
        ),
    ],
)
def test_reference_cycles_are_refused(
    cli: Cli, tmp_path: Path, lines: list[str], line_no: int, message: str
) -> None:
    pack = _pack_with_conditions(tmp_path, cli, ["c0: {q: outputs.logged, is: true}"], "c0")
    (pack / "conditions.yaml").write_text("conditions:\n" + "".join(f"  {x}\n" for x in lines))
    line = _refused(cli("report", CELEBRITY, "--rules", pack))
    assert line.startswith(f"threatmodel: {pack / 'conditions.yaml'}:{line_no}: {message}")


# ------------------------------------------------------------------ 7. costly templates

COSTLY = {
    "multiply": "{{ 'a' * 10**9 }}",
    "nested-ranges": "{% for i in range(100000) %}{% for j in range(100000) %}"
    "{% endfor %}{% endfor %}",
    "center-filter": "{{ 'a'|center(10**9) }}",
    "center-method": "{{ 'a'.center(10**9) }}",
    "printf-width": "{{ '%1000000000s'|format('a') }}",
    "printf-star": "{{ '%*s'|format(10**9, 'a') }}",
    "format-width": "{{ '{:>1000000000}'.format('a') }}",
    "replace-growth": "{{ ('a' * 1000000)|replace('a', 'aaaaaaaaaaaaaaaaaaaaaaaa') }}",
    "join-separator": "{{ range(100000)|join('x' * 1000) }}",
    "concat-doubling": "{% set ns = namespace(x='a' * 1000000) %}{% for i in range(40) %}"
    "{% set ns.x = ns.x ~ ns.x %}{% endfor %}{{ ns.x|length }}",
    "sum-of-lists": "{{ ([['a'] * 1000000] * 1000)|sum(start=[]) }}",
    "list-multiply": "{{ [1] * 100000000 }}",
    "indent": "{{ 'ab'|indent(10**9, first=true) }}",
}


@pytest.mark.parametrize("source", COSTLY.values(), ids=COSTLY.keys())
def test_a_costly_template_is_refused_quickly(cli: Cli, tmp_path: Path, source: str) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "report.md.j2").write_text(source)
    start = time.monotonic()
    line = _refused(cli("report", CELEBRITY, "--template-dir", folder))
    assert time.monotonic() - start < 10
    assert line.startswith(f"threatmodel: {folder / 'report.md.j2'}:1: template refused: it ")


def test_a_loop_that_builds_nothing_ends_at_the_time_budget() -> None:
    from threatmodel.render.sandbox import BoundedSandbox, TemplateTooCostly, render_bounded

    env = BoundedSandbox()
    template = env.from_string(
        "{% for x in 'a' * 100000 %}{% for y in 'a' * 100000 %}{% endfor %}{% endfor %}"
    )
    start = time.monotonic()
    with pytest.raises(TemplateTooCostly, match="time budget"):
        render_bounded(template, {}, seconds=0.5)
    assert time.monotonic() - start < 3


def test_a_template_symlink_leaving_its_folder_is_not_read(cli: Cli, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("ROOT-ONLY-CONTENT")
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "report.md.j2").symlink_to(secret)
    result = cli("report", CELEBRITY, "--template-dir", folder)
    line = _refused(result)
    assert "ROOT-ONLY-CONTENT" not in result.out + result.err
    assert (
        line
        == f"threatmodel: {folder / 'report.md.j2'}: leads outside {folder} (a symlink?); refused"
    )


def test_a_template_symlink_inside_its_folder_is_followed(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "mine.j2").write_text("own {{ a.overall_risk }}\n")
    (folder / "report.md.j2").symlink_to(folder / "mine.j2")
    result = cli("report", CELEBRITY, "--template-dir", folder)
    assert (result.code, result.out) == (0, "own critical\n")


def test_a_huge_template_is_refused_unread(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    with (folder / "report.md.j2").open("wb") as handle:
        handle.truncate(3 * 1024**3)  # sparse: instant to make, 3 GB if it were read
    line = _refused(cli("report", CELEBRITY, "--template-dir", folder))
    assert "3,221,225,472 bytes; the limit is 2,097,152" in line


# ------------------------------------------------------------- 4. files named by other files


def test_a_pack_file_symlink_leaving_the_pack_is_not_read(cli: Cli, tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("SECRET-FIRST-CHARACTERS: 1\n")
    pack = tmp_path / "pk"
    assert cli("rules", "init", pack).code == 0
    target = pack / "threats" / "vendor-input-retention.yaml"
    target.unlink()
    target.symlink_to(secret)
    result = cli("report", CELEBRITY, "--rules", pack)
    line = _refused(result)
    assert "SECRET" not in result.err + result.out
    assert line == f"threatmodel: {target}: leads outside {pack} (a symlink?); refused"


def test_a_huge_stray_file_in_a_pack_is_refused_before_it_is_read(cli: Cli, tmp_path: Path) -> None:
    pack = tmp_path / "pk"
    assert cli("rules", "init", pack).code == 0
    with (pack / "extra.yaml").open("wb") as handle:
        handle.truncate(3 * 1024**3)
    start = time.monotonic()
    line = _refused(cli("report", CELEBRITY, "--rules", pack))
    assert time.monotonic() - start < 5
    assert line.startswith(f"threatmodel: {pack / 'extra.yaml'}: not a rule-pack file")


def test_the_root_folder_is_not_a_rule_pack(cli: Cli) -> None:
    assert _refused(cli("report", CELEBRITY, "--rules", "/")) == (
        "threatmodel: /: not a rule pack folder: it has no pack.yaml"
    )


# ------------------------------------------------------------------------ 3. outputs


def test_an_output_fifo_is_written_as_a_stream(cli: Cli, tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = cli("report", CELEBRITY, "--output", fifo)
    reader.join(timeout=10)
    assert result.code == 0, result.err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert received[0].startswith(b"# ")


def test_an_output_symlink_is_written_through(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "real.md"
    target.write_text("old")
    link = tmp_path / "report.md"
    link.symlink_to(target)
    assert cli("report", CELEBRITY, "--output", link).code == 0
    assert link.is_symlink()
    assert target.read_text().startswith("# ")


def test_an_output_symlink_to_a_new_file_creates_its_target(cli: Cli, tmp_path: Path) -> None:
    link = tmp_path / "report.md"
    link.symlink_to(tmp_path / "new.md")
    assert cli("report", CELEBRITY, "--output", link).code == 0
    assert link.is_symlink()
    assert (tmp_path / "new.md").read_text().startswith("# ")


def test_probe_never_writes_over_its_own_samples(cli: Cli, tmp_path: Path) -> None:
    samples = _samples(tmp_path)
    before = (tmp_path / "m.csv").read_text()
    line = _refused(
        cli("probe", "tests.probe_models:allow_list", *samples, "--out", tmp_path / "m.csv")
    )
    assert line == (
        f"threatmodel: --out {tmp_path / 'm.csv'} is the members file itself; choose another path"
    )
    assert (tmp_path / "m.csv").read_text() == before


def test_report_never_writes_over_its_evidence(cli: Cli, tmp_path: Path) -> None:
    evidence = tmp_path / "evidence.json"
    evidence.write_text('{"format": "threatmodel.evidence/1", "measurements": []}')
    line = _refused(cli("report", CELEBRITY, "--evidence", evidence, "-o", evidence))
    assert "is the evidence file itself" in line


def test_a_full_device_is_one_line(cli: Cli) -> None:
    line = _refused(cli("report", CELEBRITY, "--output", "/dev/full"))
    assert line == "threatmodel: /dev/full: cannot write: No space left on device"
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


# ------------------------------------------------------------------ 4. the project file


def _project(folder: Path, rules: str = "pk") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".threatmodel.yaml").write_text(f"rules: [{rules}]\n")
    return folder / ".threatmodel.yaml"


def _disabling_pack(cli: Cli, folder: Path) -> None:
    assert cli("rules", "init", folder).code == 0
    from threatmodel.pack.load import load_packs

    ids = ", ".join(load_packs().threats)
    manifest = folder / "pack.yaml"
    manifest.write_text(manifest.read_text() + f"disables: [{ids}]\n")


def test_a_project_file_above_the_repository_is_not_honoured(cli: Cli, tmp_path: Path) -> None:
    _project(tmp_path)
    _disabling_pack(cli, tmp_path / "pk")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    answers = repo / "a.yaml"
    answers.write_text(CELEBRITY.read_text())
    result = cli("check", answers)
    assert result.code == 1, result.out
    assert f"{answers}: no project file; packs: core " in result.out
    assert "check FAILED" in result.out


def test_a_project_file_above_the_home_folder_is_not_honoured(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(tmp_path)
    _disabling_pack(cli, tmp_path / "pk")
    home = tmp_path / "home"
    (home / "work").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    answers = home / "work" / "a.yaml"
    answers.write_text(CELEBRITY.read_text())
    assert cli("check", answers).code == 1


def test_the_repository_project_file_is_honoured_and_named(cli: Cli, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    found = _project(repo)
    _disabling_pack(cli, repo / "pk")
    answers = repo / "team" / "a.yaml"
    answers.parent.mkdir()
    answers.write_text(CELEBRITY.read_text())
    result = cli("check", answers)
    assert result.code == 0, result.out
    assert f"{answers}: project file {found}; packs: core 0.2.0 (" in result.out
    assert f"pk 0.1.0 ({(repo / 'pk').resolve()})" in result.out


def test_a_project_file_anyone_can_write_is_refused(cli: Cli, tmp_path: Path) -> None:
    found = _project(tmp_path / "repo")
    found.chmod(0o666)
    (tmp_path / "repo" / "a.yaml").write_text(CELEBRITY.read_text())
    line = _refused(cli("check", tmp_path / "repo" / "a.yaml"))
    assert line == (
        f"threatmodel: {found}: is writable by anyone; refusing to take rule packs from it"
    )


# ----------------------------------------------------------- 5. answers never overwritten


class _Script:
    """Answers the interview from a list, and runs `between` after the n-th answer (another
    program editing the file while the interview runs)."""

    def __init__(self, answers: list[Any], between: dict[int, Callable[[], None]]) -> None:
        self.answers = answers
        self.between = between
        self.asked = 0

    def ask(self, question: Any, default: Any, label: str) -> Any:
        if self.asked in self.between:
            self.between[self.asked]()
        self.asked += 1
        if not self.answers:
            raise EOFError
        return self.answers.pop(0)

    def menu(self, message: str, options: list[tuple[str, str]], default: str | None = None) -> str:
        raise EOFError


def _edit(path: Path, section: str, key: str, value: Any) -> Callable[[], None]:
    def edit() -> None:
        data = yaml.safe_load(path.read_text())
        data["answers"].setdefault(section, {})[key] = value
        path.write_text(yaml.safe_dump(data, sort_keys=False))

    return edit


def _interview(path: Path, script: _Script) -> list[str]:
    from threatmodel.interview.flow import Interview
    from threatmodel.pack.load import load_packs

    said: list[str] = []
    with Interview.open(load_packs(), path, script, said.append) as interview:
        interview.run(review_all=False)
    return said


def test_a_change_on_disk_meanwhile_is_merged_not_erased(tmp_path: Path) -> None:
    from threatmodel.errors import Interrupted

    path = tmp_path / "a.yaml"
    edit = _edit(path, "population", "size", 123)
    with pytest.raises(Interrupted):
        _interview(path, _Script(["Spam filter", "Filters SMS"], {1: edit}))
    answers = yaml.safe_load(path.read_text())["answers"]
    assert answers["system"] == {"name": "Spam filter", "purpose": "Filters SMS"}
    assert answers["population"] == {"size": 123}


def test_a_conflicting_change_on_disk_stops_the_save(tmp_path: Path) -> None:
    from threatmodel.interview.flow import Interview
    from threatmodel.interview.session import Conflict
    from threatmodel.pack.load import load_packs

    path = tmp_path / "a.yaml"
    path.write_text("threatmodel: 1\nanswers:\n  system:\n    name: Old\n")
    edit = _edit(path, "system", "name", "Theirs")
    script = _Script(["Mine"], {0: edit})
    interview = Interview.open(load_packs(), path, script, print)
    with (
        interview,
        pytest.raises(Conflict, match=r"system.name is now 'Theirs' there and you answered 'Mine'"),
    ):
        interview.run(review_all=True)
    assert yaml.safe_load(path.read_text())["answers"]["system"]["name"] == "Theirs"


def test_a_second_session_on_the_same_file_is_refused(tmp_path: Path) -> None:
    from threatmodel.interview.session import Lock

    path = tmp_path / "a.yaml"
    held = Lock.take(path)
    try:
        with pytest.raises(
            InputError, match=r"is being answered in another session \(PID \d+, started 20"
        ):
            _interview(path, _Script([], {}))
    finally:
        held.release()
    assert not path.exists()


def test_a_read_only_answers_file_is_refused_before_any_question(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(CELEBRITY.read_text())
    path.chmod(0o444)
    script = _Script(["never asked"], {})
    with pytest.raises(InputError, match="is read-only; make it writable"):
        _interview(path, script)
    assert script.asked == 0
    assert path.read_text() == CELEBRITY.read_text()


def test_a_read_only_folder_is_refused_before_any_question() -> None:
    import tempfile

    from threatmodel.interview.session import check_writable

    # Outside pytest's private folder, so that the other user can reach it.
    top = Path(tempfile.mkdtemp())
    top.chmod(0o755)
    folder = top / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # as another user when we are root, who may write anywhere
        try:
            if os.geteuid() == 0:
                os.setuid(65534)
            check_writable(folder / "a.yaml")
            os.write(write, b"accepted")
        except InputError as exc:
            os.write(write, exc.message.encode())
        except BaseException as exc:  # reported to the parent, whose assertion fails
            os.write(write, repr(exc).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    with os.fdopen(read) as pipe:
        said = pipe.read()
    folder.chmod(0o755)
    shutil.rmtree(top)
    assert said == f"{folder / 'a.yaml'}: cannot be saved in {folder}: Permission denied"


def test_temporary_files_of_a_killed_save_are_cleaned_and_named(tmp_path: Path) -> None:
    from threatmodel.errors import Interrupted

    path = tmp_path / "a.yaml"
    stale = tmp_path / ".a.yaml.k3x_9q2z.tmp"
    stale.write_text("half a file")
    other = tmp_path / ".b.yaml.k3x_9q2z.tmp"
    other.write_text("another file's")
    said: list[str] = []
    from threatmodel.interview.flow import Interview
    from threatmodel.pack.load import load_packs

    with (
        pytest.raises(Interrupted),
        Interview.open(load_packs(), path, _Script([], {}), said.append) as interview,
    ):
        interview.run(review_all=False)
    assert not stale.exists()
    assert other.exists()
    assert said[0] == "Removed .a.yaml.k3x_9q2z.tmp, left beside a.yaml by an interrupted save."


# ------------------------------------------------------------------ 8. the pack cache


def test_an_edited_cache_entry_is_a_miss_not_a_pack(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from threatmodel.pack import cache as packcache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # this test's entries only
    assert cli("check", CELEBRITY).code == 1
    for path in packcache.folder().glob("pack-*.json"):
        header, _, content = path.read_bytes().partition(b"\n")
        data = json.loads(content)
        data["threats"] = {}
        path.write_bytes(header + b"\n" + json.dumps(data).encode())
    result = cli("check", CELEBRITY)
    assert result.code == 1, result.out
    assert "overall risk critical; check FAILED" in result.out


def test_old_cache_entries_are_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from threatmodel.pack import cache as packcache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = packcache.folder()
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(packcache.KEEP_ENTRIES + 5):
        entry = folder / f"pack-{i:064x}.json"
        entry.write_text("{}")
        os.utime(entry, (1_000_000 + i, 1_000_000 + i))
    packcache.prune()
    left = sorted(p.name for p in folder.glob("pack-*.json"))
    assert len(left) == packcache.KEEP_ENTRIES
    assert f"pack-{0:064x}.json" not in left  # the least recently used went first


# ----------------------------------------------------- 6. bounded reads, 9. exit 2 not 3


def _report_with(cli: Cli, *extra: str | Path) -> Result:
    return cli("report", CELEBRITY, *extra)


def test_evidence_from_a_device_is_refused_at_once(cli: Cli) -> None:
    start = time.monotonic()
    line = _refused(_report_with(cli, "--evidence", "/dev/zero"))
    assert time.monotonic() - start < 5
    assert line == "threatmodel: /dev/zero: is not a regular file"


def test_evidence_from_a_fifo_does_not_hang(cli: Cli, tmp_path: Path) -> None:
    fifo = tmp_path / "evidence.json"
    os.mkfifo(fifo)
    assert _refused(_report_with(cli, "--evidence", fifo)).endswith("is not a regular file")


def test_deeply_nested_evidence_is_one_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "evidence.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    assert _refused(_report_with(cli, "--evidence", path)) == (
        f"threatmodel: {path}: not valid JSON: nested too deeply"
    )


def test_a_probe_sample_from_a_device_is_refused_at_once(cli: Cli, tmp_path: Path) -> None:
    samples = _samples(tmp_path)
    samples[1] = "/dev/zero"
    line = _refused(cli("probe", "tests.probe_models:allow_list", *samples, "--out", "e.json"))
    assert line == "threatmodel: /dev/zero: is not a regular file"


CSV_CASES = {
    "nan": ("a,b,y\n1,2,0\n3,nan,1\n", 3, "column 'b': nan is not a finite number"),
    "inf": ("a,b,y\n1,2,0\n3,-inf,1\n", 3, "column 'b': -inf is not a finite number"),
    "text": ("a,b,y\n1,2,0\n3,red,1\n", 3, "column 'b': 'red' is not a number"),
    "short-row": ("a,b,y\n1,2,0\n3,1\n", 3, "2 values; the header has 3"),
    "long-field": ("a,b,y\n1," + "2" * 200_000 + ",0\n", 2, "not a CSV file: field larger"),
    "fraction-label": ("a,b,y\n1,2,0\n3,4,0.5\n", 3, "label 0.5 is not a class index"),
    "negative-label": ("a,b,y\n1,2,-1\n3,4,0\n", 2, "label -1 is not a class index"),
    "other-label": ("a,b,y\n1,2,0\n3,4,7\n", 3, "label 7 is not a class of the model, which"),
}


@pytest.mark.parametrize(("text", "line", "message"), CSV_CASES.values(), ids=CSV_CASES.keys())
def test_bad_samples_are_one_line_with_their_line(
    cli: Cli, tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "m.csv"
    path.write_text(text)
    args = ["--members", path, "--nonmembers", path, "--label", "y", "--out", tmp_path / "e"]
    said = _refused(cli("probe", "tests.probe_models:allow_list", *args))
    assert said.startswith(f"threatmodel: {path}:{line}: {message}"), said


def test_a_sample_that_is_not_utf8_is_one_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes(b"a,b,y\n1,2,0\n3,\xff,1\n")
    args = ["--members", path, "--nonmembers", path, "--label", "y", "--out", tmp_path / "e"]
    assert _refused(cli("probe", "tests.probe_models:allow_list", *args)) == (
        f"threatmodel: {path}: not UTF-8 text (byte 14)"
    )


def test_samples_of_one_class_are_one_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("a,b,y\n1,2,0\n3,4,0\n")
    args = ["--members", path, "--nonmembers", path, "--label", "y", "--out", tmp_path / "e"]
    assert _refused(cli("probe", "tests.probe_models:allow_list", *args)) == (
        "threatmodel: the samples hold one class only; membership attacks need two or more"
    )


SPEC_CASES = {
    "empty-choices": ("fields: {a: {choices: []}}", "fields.a.choices"),
    "no-kind": ("fields: {a: {}}", "give exactly one of range, digits or choices"),
    "two-kinds": ("fields: {a: {digits: 3, range: [0, 9]}}", "give exactly one of range"),
    "reversed-range": ("fields: {a: {range: [5, 1]}}", "range [5, 1] is empty"),
    "past-64-bits": ("fields: {a: {range: [0, 99999999999999999999]}}", "within ±2^53"),
    "space-too-large": (
        "fields: {a: {digits: 15}, b: {digits: 15}}",
        "the space holds 1e+30 inputs; the probe indexes at most 2^53",
    ),
    "no-rare-test": ("fields: {a: {digits: 2}}\nrare: {}", "give exactly one of label"),
    "stray-field": ("fields: {a: {digits: 2}, z: {digits: 1}}", "field 'z' is not in columns"),
}


@pytest.mark.parametrize(("body", "message"), SPEC_CASES.values(), ids=SPEC_CASES.keys())
def test_bad_enumeration_specs_are_one_line(
    cli: Cli, tmp_path: Path, body: str, message: str
) -> None:
    spec = tmp_path / "spec.yaml"
    columns = "columns: [a, b]\nfixed: {b: 0}\n" if " b:" not in body else "columns: [a, b]\n"
    rare = "" if "rare:" in body else "\nrare: {label: 1}"
    spec.write_text(columns + body + rare + "\n")
    said = _refused(
        cli("probe", "tests.probe_models:allow_list", "--enumerate", spec, "--out", "e.json")
    )
    assert said.startswith(f"threatmodel: {spec}:"), said
    assert message in said


@pytest.mark.parametrize("spec", [":x", ".x:y", "x:", "a..b:c", "os:system()"])
def test_malformed_module_attributes_are_one_line(cli: Cli, tmp_path: Path, spec: str) -> None:
    said = _refused(cli("probe", spec, "--enumerate", "missing.yaml", "--out", tmp_path / "e"))
    assert "give module:attribute with dotted names" in said


def test_a_path_over_the_name_limit_is_one_line(cli: Cli) -> None:
    name = "a" * 5000 + ".yaml"
    said = _refused(cli("report", name))
    assert "File name too long" in said
    assert len(said) <= 520


def test_an_empty_patience_table_is_refused_with_its_line(cli: Cli, tmp_path: Path) -> None:
    pack = tmp_path / "pk"
    assert cli("rules", "init", pack).code == 0
    scoring = (ROOT / "rules" / "scoring.yaml").read_text()
    scoring = scoring.replace("patience_days: {low: 1, medium: 30, high: 365}", "patience_days: {}")
    (pack / "scoring.yaml").write_text(scoring)
    said = _refused(cli("report", CELEBRITY, "--rules", pack))
    assert said.startswith(f"threatmodel: {pack / 'scoring.yaml'}:")
    assert "enumeration.patience_days" in said


def test_a_diff_side_whose_acceptance_has_no_date_is_one_line(cli: Cli, tmp_path: Path) -> None:
    data = json.loads(cli("report", CELEBRITY, "--format", "json").out)
    data["threats"][0]["accepted"] = {"justification": "x", "approved_by": "DPO"}
    side = tmp_path / "old.json"
    side.write_text(json.dumps(data))
    said = _refused(cli("diff", side, CELEBRITY))
    assert said == f"threatmodel: {side}: threats[0].accepted.expires: Field required"


# ---------------------------------------------------------------- 10. short, clean messages


def test_a_huge_unknown_id_is_cut_in_the_message(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    key = "x" * 1_000_000  # an explicit key: YAML limits plain keys to 1,024 characters
    path.write_text(f"threatmodel: 1\nanswers:\n  system:\n    ? {key}\n    : 1\n")
    said = _refused(cli("report", path))
    assert len(said) < 500
    assert "unknown question 'system.xxxxxxxx" in said


def test_control_characters_in_messages_are_shown_not_sent(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text('threatmodel: 1\nanswers:\n  access:\n    exposure: "pub\\e[2Jlic\\a"\n')
    said = _refused(cli("report", path))
    assert "\x1b" not in said
    assert "\x07" not in said
    assert "\\x1b[2J" in said


TYPED = "Spam\x1b[2J\x07\x00 filter"


@pytest.mark.parametrize("fmt", ["md", "html", "csv"])
def test_control_characters_never_reach_the_documents(cli: Cli, tmp_path: Path, fmt: str) -> None:
    from threatmodel.pack.load import load_packs

    data = yaml.safe_load(CELEBRITY.read_text())
    data["answers"]["system"]["name"] = TYPED
    mitigation = load_packs().threats["input-enumeration"].mitigations[0].id
    data["measures"] = [
        {"threat": "input-enumeration", "measure": mitigation, "status": "planned", "owner": TYPED}
    ]
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump(data))
    out = cli("report", path, "--format", fmt).out
    assert not set(out) & {"\x1b", "\x07", "\x00"}
    assert "2J filter" in out


def test_control_characters_never_reach_the_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from threatmodel.cli.output import say

    say(TYPED)
    assert capsys.readouterr().out == "Spam[2J filter\n"
