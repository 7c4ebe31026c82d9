"""Signals other features connect to, so the arrow between features points one way.

- `item_synced(item, parsed=ParsedItem, now=datetime)`: an item's content was created or
  changed (import, browser edit, restore). Sent inside the caller's unit of work: receivers
  add rows to the session and never commit. The quiz engine makes question versions here.
- `course_completed(enrolment, now=datetime)`: an enrolment was completed (sent once, inside the
  unit of work that completed it).
- `item_done(enrolment, item=Item, now=datetime)`: an item was recorded as done for the first
  time (a lesson marked complete, a quiz or an assignment passed); inside the unit of work.
  Credentials grant the credential when it was the last requirement.
"""
from blinker import Namespace

_signals = Namespace()
item_synced = _signals.signal("item-synced")
course_completed = _signals.signal("course-completed")
item_done = _signals.signal("item-done")
