"""Domain exceptions, in one place (house rule 7).

Bad input is a ``ValueError`` subclass whose message a user can act on; the CLI turns every
``SmsError`` into a one-line message and an exit code, never a traceback.
"""

from __future__ import annotations


class SmsError(Exception):
    """Base class of every error sms-metrics reports to its user."""

    exit_code = 1


class InputError(SmsError, ValueError):
    """Input (a file, a flag, a payload) is wrong; the message says what and where."""

    exit_code = 2


class CatalogueError(InputError):
    """The catalogue is invalid; ``errors`` lists every problem as ``path: reason``."""

    def __init__(self, source: str, errors: list[str]):
        self.source = source
        self.errors = list(errors)
        lines = "\n".join(f"  {e}" for e in self.errors)
        super().__init__(f"{source}: {len(self.errors)} error(s)\n{lines}")


class PeriodError(InputError):
    """A period or duration could not be understood."""


class PrometheusError(SmsError):
    """Prometheus could not answer; base of the adapter's errors."""

    exit_code = 4


class PrometheusUnreachable(PrometheusError):
    """No HTTP answer from the Prometheus URL (refused, DNS, timeout)."""


class PrometheusQueryError(PrometheusError, ValueError):
    """Prometheus rejected a PromQL expression (bad syntax, unknown function...)."""


class LocalStackError(SmsError):
    """A local component (Prometheus, promtool) could not be installed or started."""

    exit_code = 5


class InsufficientData(InputError):
    """A series is empty, too short or too gappy to forecast; any existing plan stays as it is."""

    exit_code = 3


class RecordError(InputError):
    """A register request was refused; nothing was written. The HTTP mapping lives in ``app.py``."""


class RecordNotFound(RecordError):
    """No record of that kind and id (or one the caller may not see)."""


class RecordInvalid(RecordError):
    """The fields of a record are wrong; ``problems`` lists each as ``path: reason``."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class UnknownState(RecordError):
    """A state name the kind's lifecycle does not have."""

    def __init__(self, message: str, states: list[str]):
        self.states = states
        super().__init__(message)


class IllegalTransition(RecordError):
    """A record cannot move from its state to the one asked for; ``allowed`` lists where it can go."""

    def __init__(self, message: str, allowed: list[str]):
        self.allowed = allowed
        super().__init__(message)


class GateRefused(RecordError):
    """A gate (error budget, release tests, go-live) refused a transition; ``gate`` names it."""

    def __init__(self, gate: str, message: str):
        self.gate = gate
        super().__init__(message)


class Conflict(RecordError):
    """The record changed while the request was being checked, or a rule of the register forbids the change."""


class Unauthorized(RecordError):
    """No bearer token, or one the register does not know (HTTP 401)."""


class Forbidden(RecordError):
    """The caller's role may not do this (HTTP 403)."""


class RegisterTooNew(SmsError):
    """The register database was written by a newer sms-metrics (its schema revision is unknown here)."""

    exit_code = 7
