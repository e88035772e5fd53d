"""`threatmodel rules sync`: fetch the project's git packs into the cache and write the lock;
with `upgrade`, move each to the newest tag whose pack works with this engine.

Nothing is written until everything worked: each pack is fetched into a temporary folder and
moved into the cache only once checked; the stack is loaded in full (every cross-reference,
every engine range) before the project file and the lock change. A failure leaves the lock,
the project file and the cache as they were, save for complete trees nobody uses yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from threatmodel import __version__
from threatmodel.errors import InputError
from threatmodel.language.model import parse_model
from threatmodel.pack import gitpacks, lock
from threatmodel.pack.gitpacks import GitFailure
from threatmodel.pack.layered import Origin, Stack
from threatmodel.pack.lock import LockedPack, LockFile
from threatmodel.pack.models import Manifest
from threatmodel.pack.project import GitPack, Project
from threatmodel.pack.yamlsafe import Document, load_yaml

if TYPE_CHECKING:
    from packaging.version import Version

    from threatmodel.pack.layered import Pack

MAX_CANDIDATES = 10
"""Newer tags tried by `--upgrade` before giving up (each is a fetch)."""


@dataclass(frozen=True)
class Synced:
    """One git pack after sync."""

    entry: GitPack
    pinned: LockedPack
    action: str
    """`in the cache` (verified, nothing fetched), `fetched` or `upgraded from <ref>`."""


@dataclass(frozen=True)
class ThreatChange:
    """A threat that an upgrade adds (+), removes (-) or changes (~)."""

    sign: str
    id: str
    title: str
    fields: tuple[str, ...] = ()


@dataclass
class Outcome:
    """What `rules sync` did."""

    project_file: Path
    packs: list[Synced] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Tags `--upgrade` passed over, and why."""
    changes: list[ThreatChange] | None = None
    """With `--upgrade` and a pack that moved: the threats that differ."""


def sync(project_file: Path, *, upgrade: bool = False) -> Outcome:
    """Make the cache hold every git pack of the project at its locked commit (fetching and
    locking new ones); with `upgrade`, move each to its newest compatible tag first."""
    doc = load_yaml(project_file)
    project = parse_model(Project, doc, doc.data if doc.data is not None else {})
    old_lock = lock.read(project_file)
    outcome = Outcome(project_file)
    entries = lock.git_entries(project)
    if not entries:
        return outcome  # nothing to fetch; a lock of packs no longer named is left alone
    # Errors name the entry's line, from the document read once here.
    lines = [doc.line_of(("rules", i)) for i, _ in entries]
    current = [
        _current(project_file, line, e, lock.pin_of(old_lock, e))
        for line, (_, e) in zip(lines, entries, strict=True)
    ]
    outcome.packs = current
    if upgrade:
        outcome.packs = [
            _upgraded(project_file, line, s, outcome)
            for line, s in zip(lines, current, strict=True)
        ]
    new_pack = _load(_with_refs(project, outcome.packs), project_file, outcome.packs)
    if any(s.action.startswith("upgraded") for s in outcome.packs):
        try:
            outcome.changes = threat_changes(_load(project, project_file, current), new_pack)
        except InputError as exc:  # often why one upgrades: the old pack needs an older engine
            outcome.notes.append(f"no list of the threats that change: before the upgrade, {exc}")
        _write_refs(project_file, doc, entries, outcome.packs)
    new_lock = LockFile(lock_version=1, packs=tuple(s.pinned for s in outcome.packs))
    if new_lock != old_lock:
        from threatmodel.files import write_file

        write_file(lock.path_of(project_file), lock.render(new_lock))
    return outcome


def _current(
    project_file: Path, line: int | None, entry: GitPack, pinned: LockedPack | None
) -> Synced:
    """The pack at its locked commit (fetched again if missing or damaged), or, when not
    locked yet, at the commit its ref names now."""
    if pinned is not None:
        folder = gitpacks.pack_folder(gitpacks.tree(entry.git, pinned.commit), entry.path)
        if folder.is_dir():
            try:
                lock.verify(project_file, entry, pinned, folder)
                return Synced(entry, pinned, "in the cache")
            except InputError:
                pass  # damaged since: fetched again below, and checked against the lock
        lock.fetch_pinned(project_file, entry, pinned)
        return Synced(entry, pinned, "fetched")
    with lock.failures(project_file, entry, line):
        refname = gitpacks.full_ref(entry.ref, gitpacks.remote_refs(entry.git))
        with gitpacks.Fetched(entry.git, refname) as fetched:
            pinned = _pin(entry, fetched)
            fetched.install()
    return Synced(entry, pinned, "fetched")


def _pin(entry: GitPack, fetched: gitpacks.Fetched) -> LockedPack:
    """The lock entry of a freshly fetched tree (its pack.yaml gives name and version)."""
    folder = lock.folder_in(fetched.root, entry)
    manifest = _manifest(folder)
    return LockedPack(
        git=entry.git,
        ref=entry.ref,
        path=entry.path,
        commit=fetched.commit,
        sha256=gitpacks.digest(folder),
        name=manifest.name,
        version=manifest.version,
    )


def _manifest(folder: Path) -> Manifest:
    """The pack.yaml of a fetched pack, or GitFailure saying why it is no pack."""
    if not (folder / "pack.yaml").is_file():
        raise GitFailure(f"{folder.name or 'the repository'} has no pack.yaml: not a rule pack")
    try:
        doc = load_yaml(folder / "pack.yaml", folder)
        return parse_model(Manifest, doc, doc.data)
    except InputError as exc:
        raise GitFailure(f"its pack.yaml cannot be read: {exc.message}") from None


def _upgraded(project_file: Path, line: int | None, now: Synced, outcome: Outcome) -> Synced:
    """The pack at the newest tag after its own whose pack.yaml accepts this engine."""
    from threatmodel.pack.versions import satisfies

    entry = now.entry
    with lock.failures(project_file, entry, line):
        base = tag_version(entry.ref)
        if base is None:
            raise GitFailure(
                f"ref '{entry.ref}' is not a version tag; --upgrade moves from one version tag "
                "(v1.4.0) to a later one"
            )
        refs = gitpacks.remote_refs(entry.git)
        for tag in newer_tags(refs, base)[:MAX_CANDIDATES]:
            with gitpacks.Fetched(entry.git, f"refs/tags/{tag}") as fetched:
                newer = entry.model_copy(update={"ref": tag})
                try:
                    engine = _manifest(lock.folder_in(fetched.root, newer)).engine
                    fits = satisfies(__version__, engine)
                except (GitFailure, ValueError) as exc:
                    outcome.notes.append(f"{entry.git}@{tag}: skipped, {exc}")
                    continue
                if not fits:
                    outcome.notes.append(
                        f"{entry.git}@{tag}: skipped, its pack needs engine {engine} "
                        f"(this is {__version__})"
                    )
                    continue
                pinned = _pin(newer, fetched)
                fetched.install()
                return Synced(newer, pinned, f"upgraded from {entry.ref}")
    return now


def tag_version(tag: str) -> Version | None:
    """The version a tag names (`v1.4.0`, `1.4.0`), or None when it names none."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(tag[1:] if tag[:1] in "vV" else tag)
    except InvalidVersion:
        return None


def newer_tags(refs: dict[str, str], base: Version) -> list[str]:
    """Version tags after `base`, newest first; pre-releases only from a pre-release."""
    found = []
    for name in refs:
        tag = name.removeprefix("refs/tags/")
        version = tag_version(tag) if name.startswith("refs/tags/") else None
        if (
            version is not None
            and version > base
            and (base.is_prerelease or not version.is_prerelease)
        ):
            found.append((version, tag))
    return [tag for _, tag in sorted(found, reverse=True)]


def _with_refs(project: Project, packs: list[Synced]) -> Project:
    """The project with each git pack's ref as synced."""
    entries = iter(packs)
    rules = [next(entries).entry if isinstance(e, GitPack) else e for e in project.rules]
    return project.model_copy(update={"rules": tuple(rules)})


def _load(project: Project, project_file: Path, packs: list[Synced]) -> Pack:
    """The whole stack of the project's packs, as these synced packs make it."""
    from threatmodel.pack.load import load_packs

    folders: list[Path] = []
    origins: dict[Path, Origin] = {}
    synced = iter(packs)
    for entry in project.rules:
        if isinstance(entry, GitPack):
            pinned = next(synced).pinned
            folder = gitpacks.pack_folder(gitpacks.tree(entry.git, pinned.commit), entry.path)
            origins[folder.resolve()] = Origin(entry.git, entry.ref, pinned.commit)
            folders.append(folder)
        else:
            folders.append(project_file.parent / entry)
    return load_packs(Stack(tuple(folders), origins))


def _write_refs(
    project_file: Path, doc: Document, entries: list[tuple[int, GitPack]], packs: list[Synced]
) -> None:
    """Rewrite each moved `ref:` in the project file in place (comments and layout kept)."""
    from threatmodel.files import write_file
    from threatmodel.pack.answersedit import inline

    text = doc.text
    edits = []
    for (index, entry), synced in zip(entries, packs, strict=True):
        if synced.entry.ref != entry.ref:
            _, start, end = doc.spans[("rules", index, "ref")]
            edits.append((start, end, inline(synced.entry.ref)))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    write_file(project_file, text)


def threat_changes(old: Pack, new: Pack) -> list[ThreatChange]:
    """The threats one stack of packs adds, removes or changes against another."""
    changes = [
        ThreatChange("+", t.id, t.title) for t in new.threats.values() if t.id not in old.threats
    ]
    changes += [
        ThreatChange("-", t.id, t.title) for t in old.threats.values() if t.id not in new.threats
    ]
    for threat_id, before in old.threats.items():
        after = new.threats.get(threat_id)
        if after is None or after == before:
            continue
        a, b = before.model_dump(), after.model_dump()
        fields = tuple(k for k in b if a.get(k) != b.get(k))
        changes.append(ThreatChange("~", threat_id, after.title, fields))
    return sorted(changes, key=lambda c: ("+-~".index(c.sign), c.id))
