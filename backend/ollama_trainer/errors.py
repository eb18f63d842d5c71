"""The small error vocabulary every command speaks.

A DomainError carries a stable `code` the UI and CLI can branch on and a message a person can
act on. Transports turn it into `{code, message}`; nothing else leaks out.
"""


class DomainError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None, http_status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class InvalidArgument(DomainError):
    code = "invalid_argument"
    http_status = 400


class Conflict(DomainError):
    code = "conflict"
    http_status = 409
