"""Code shared by the Markdown authoring parsers (courses, quizzes, assignments): front matter
with line maps (:mod:`.frontmatter`), the ``path:LINE: message`` problem collector
(:mod:`.problems`), value checks (:mod:`.values`), pydantic settings models (:mod:`.schema`)
and the Markdown token scan (:mod:`.markdown_scan`). Pure Python: no database, no Flask.
"""
from lms.authoring.markdown_scan import fence_flags
from lms.authoring.values import is_int, is_number, line_of

__all__ = ["fence_flags", "is_int", "is_number", "line_of"]
