"""Cohorts: named groups of people who learn together (low in the package graph, so quizzes,
assignments, credentials and the community boards can all use them)."""
