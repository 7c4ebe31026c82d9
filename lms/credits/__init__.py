"""Continuing education (CE): the rules engine (:mod:`lms.credits.rules`); the ledger, the
holder's CE page and the daily sweep build on it (issue 11)."""
