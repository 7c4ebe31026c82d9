"""Domain exceptions raised by services; views turn them into 403/404/flash messages."""


class DomainError(Exception):
    """A rule refused the action. `str(err)` is a message fit to show the user."""


class NotFound(DomainError):
    pass


class PermissionDenied(DomainError):
    pass


class ValidationError(DomainError):
    pass


class Conflict(DomainError):
    pass
