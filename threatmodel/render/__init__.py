"""Every output of an assessment: the formats registry, the templates and their sandbox, the
diff document and the questionnaire documents."""

from __future__ import annotations

from threatmodel.render.formats import FORMATS, render, render_document

__all__ = ["FORMATS", "render", "render_document"]
