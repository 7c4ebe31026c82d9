"""Signals of the CE engine, for features above it (credits never imports them).

- `cycle_renewed(user, renewal=CeRenewal, now=datetime)`: a renewal took effect (approved at
  once, or a reinstatement a registrar approved); inside that unit of work. Credentials make
  a new certificate with the new valid-until date.
- `ce_state_changed(user, from_state=str, to_state=str, reason=str, by=User | None,
  now=datetime)`: the holder's CE state (active, grace, reinstatable, expired) changed: the
  daily sweep (``by`` None), a renewal (the holder), a registrar's reinstatement or failed
  audit; inside that unit of work. Credentials keep it in the credential's history.
"""
from blinker import Namespace

_signals = Namespace()
cycle_renewed = _signals.signal("cycle-renewed")
ce_state_changed = _signals.signal("ce-state-changed")
