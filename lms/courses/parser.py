"""Read the Markdown course tree (``courses/``) and lint it: pure Python, no database, no Flask.

The format is documented in ``docs/authoring.md``. :func:`parse_tree` reads ``program.yml`` and
the course folders and returns every course with its modules and items, plus every problem
found (``path:LINE: message``); it never raises on bad input. :func:`check` returns only the
problems. The importer refuses to import a tree that has problems.

This module is the parser's public face; each concern has its own module:

* :mod:`lms.authoring` - front matter with line maps, the problem collector, the Markdown scan;
* :mod:`lms.courses.tree` - course folders, modules and items in order, the whole tree;
* :mod:`lms.courses.items` - one item file (lessons here, other kinds via :mod:`lms.courses.kinds`);
* :mod:`lms.courses.course_meta` - course.md's front matter;
* :mod:`lms.courses.links` - relative links and images;
* :mod:`lms.courses.crosscheck` - duplicate codes, prerequisites, categories;
* :mod:`lms.courses.program_check` - program.yml.
"""

from __future__ import annotations

from lms.authoring.frontmatter import FrontMatter, load_yaml, split_front_matter
from lms.authoring.markdown_scan import iter_links
from lms.authoring.problems import Problem
from lms.courses.course_meta import COURSE_KEYS, LEVELS
from lms.courses.items import parse_item_text
from lms.courses.links import check_links
from lms.courses.parsed import ParsedCourse, ParsedItem, ParsedModule, ParseResult
from lms.courses.program_check import load_program_categories, parse_program
from lms.courses.tree import check, parse_course, parse_tree

__all__ = [
    "COURSE_KEYS", "LEVELS", "FrontMatter", "ParseResult", "ParsedCourse", "ParsedItem",
    "ParsedModule", "Problem", "check", "check_links", "iter_links", "load_program_categories",
    "load_yaml", "parse_course", "parse_item_text", "parse_program", "parse_tree",
    "split_front_matter",
]
