"""Form validators shared by the features' forms."""
from __future__ import annotations

from wtforms.validators import Length, ValidationError


class MaxLength(Length):
    """At most `max` characters, refused with a message: never cut silently.

    WTForms' Length also renders `maxlength` on the input, and a browser then drops what is
    typed or pasted past the limit without a word; this one leaves the input alone and says
    how long the text is, so the person can shorten it themselves.
    """

    def __init__(self, max: int, message: str | None = None):  # noqa: A002 - WTForms' name
        super().__init__(max=max, message=message)
        self.field_flags: dict[str, object] = {}

    def __call__(self, form, field) -> None:
        length = len(field.data or "")
        if length > self.max:
            raise ValidationError(self.message or (
                f"At most {self.max} characters: this has {length}. Shorten it; nothing was cut."))
