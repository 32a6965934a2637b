"""Errors raised while preparing, rendering and delivering letters.

They are :class:`arsheets.errors.ArsheetsError` subclasses, so the CLI reports them like every other
problem that stops a run: one line per problem, naming where it was found and how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass

from arsheets.errors import ArsheetsError, Problem, Where


@dataclass(frozen=True, slots=True)
class InFile(Where):
    """A place outside the workbook: a template file, a folder, an environment variable."""

    path: str = ""

    def __str__(self) -> str:
        return self.path or "letters"


class LetterError(ArsheetsError):
    """A letter cannot be prepared, written or delivered."""

    def __reduce__(self):  # keep the problems when sent back from a worker process
        return (type(self), self.problems)


class TemplateFieldError(LetterError):
    """A template names fields that do not exist, or is not a valid template (nothing written)."""


class DeliveryError(LetterError):
    """A letter could not be converted, e-mailed or sent."""


def problem_at(path: str, message: str, hint: str = "") -> Problem:
    return Problem(InFile(path=path), message, hint)


def customer_where(customer) -> Where:
    return Where("Customers", customer.row or None)
