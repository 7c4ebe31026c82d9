"""The assignments blueprint: it serves no route yet, only the assignment item page template."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("assignments", __name__, template_folder="templates")
