"""Signals of the accounts feature, for features above it (auth never imports them).

- `legal_name_changed(user, now=datetime)`: the legal name on a profile changed; sent inside
  the unit of work that changed it. Credentials make a new certificate in that name.
"""
from blinker import Namespace

_signals = Namespace()
legal_name_changed = _signals.signal("legal-name-changed")
