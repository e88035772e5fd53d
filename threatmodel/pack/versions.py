"""Engine ranges and version order by PEP 440, with `packaging` (the reference implementation pip
uses): `~=0.1`, `==0.*`, pre-releases and local labels mean what Python packaging says they mean."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: only a pack load or a lifecycle notice pays for them
    from packaging.version import Version


def satisfies(version: str, spec: str) -> bool:
    """Does `version` meet `spec` (a PEP 440 specifier set)? ValueError on a bad spec.

    A pre-release meets a range only by PEP 440's order (`0.2.0rc1` comes before `0.2`, so it
    does not meet `>=0.2`), but it is not excluded for being one: a development build of the
    tool must still load the packs its own release will."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        if any(not clause.strip() for clause in spec.split(",")):
            raise InvalidSpecifier(spec)  # packaging skips an empty clause; a typo, here
        specifiers = SpecifierSet(spec)
    except InvalidSpecifier:
        raise ValueError(f"cannot read version range {spec!r} (PEP 440, e.g. >=0.1,<1)") from None
    return specifiers.contains(_version(version), prereleases=True)


def newer(version: str, than: str) -> bool:
    """Is `version` later than `than` (PEP 440 order)?"""
    return _version(version) > _version(than)


def _version(text: str) -> Version:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text)
    except InvalidVersion:
        # Pack versions are semantic versions: `1.0.0-internal.3` is not PEP 440 but its
        # release is, and the release is what orders one pack version after another.
        release = re.match(r"\d+(\.\d+)*", text.strip())
        if release is None:
            raise ValueError(f"cannot read version {text!r} (PEP 440, e.g. 1.4.0)") from None
        return Version(release.group())
