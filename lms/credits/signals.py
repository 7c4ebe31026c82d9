"""Signals of the CE engine, for features above it (credits never imports them).

- `cycle_renewed(user, renewal=CeRenewal, now=datetime)`: a renewal took effect (approved at
  once, or a reinstatement a registrar approved); inside that unit of work. Credentials make
  a new certificate with the new valid-until date.
"""
from blinker import Namespace

_signals = Namespace()
cycle_renewed = _signals.signal("cycle-renewed")
