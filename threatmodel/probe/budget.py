"""The probe's time budget (`--seconds`): one deadline for the whole run, shared out step by
step, so that a slow model or a large sample shortens the measurements instead of overrunning.

Each step asks for a share of what is left; a step that cannot do its least useful work in its
share is not started, and is named with the reason in the evidence (`not_measured`), so a
reader knows what a short budget left out."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Budget:
    """Seconds from now until the deadline, and what was left out for want of them."""

    seconds: float
    start: float = field(default_factory=time.perf_counter)
    skipped: list[str] = field(default_factory=list)
    parent: Budget | None = None
    fraction: float = 1.0

    def left(self) -> float:
        """Seconds until the deadline (never negative)."""
        return max(0.0, self.seconds - self.spent())

    def spent(self) -> float:
        """Seconds since the budget started."""
        return time.perf_counter() - self.start

    def share(self, fraction: float) -> float:
        """A step's allowance: `fraction` of what is left."""
        return self.left() * fraction

    @property
    def end(self) -> float:
        """The deadline as a `time.perf_counter()` value."""
        return self.start + self.seconds

    def over(self) -> bool:
        """Is the deadline past?"""
        return self.left() <= 0.0

    def skip(self, what: str, why: str) -> None:
        """Record a measurement left out, and why (shown in the evidence and by the CLI)."""
        self.skipped.append(f"{what}: {why}")

    def sub(self, fraction: float) -> Budget:
        """A budget of its own for a part of the run (`fraction` of what is left), whose
        skipped steps are recorded here too."""
        part = Budget(self.share(fraction), skipped=self.skipped)
        part.parent, part.fraction = self, fraction
        return part

    def needed(self, seconds: float) -> float:
        """The whole run's budget (`--seconds`) under which this part would have had `seconds`:
        what a message tells the user to ask for."""
        if self.parent is None:
            return seconds
        before = self.start - self.parent.start
        return self.parent.needed(before + seconds / self.fraction)
