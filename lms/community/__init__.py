"""The learning network: cohorts of learners (and, later, their discussion boards)."""
from lms.community.views import bp

__all__ = ["bp"]
