"""The placeholders of a threat's sentences about this system: `{section.key}` stands for the
answer to that question, in words."""

from __future__ import annotations

import re

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)\}")
