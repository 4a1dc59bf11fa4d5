"""Every failure a user can meet, as exception classes carrying a code of the catalogue.

Step Functions matches a Lambda error by the exact class name of the exception, so the ASL
names leaf classes: ``TransientDependencyError`` is retried with backoff, everything else is
caught and sent down the notify-then-fail path. An exception's text always starts with its
catalogue code (``DATABASE_EXISTS: ...``) so the failure notification can look up the
one-line cause and what to do, whichever step raised it.
"""

from __future__ import annotations

import re
from typing import ClassVar

from bak2rds.catalogue import CATALOGUE, CatalogueEntry

_CODED_MESSAGE = re.compile(r"^(?P<code>[A-Z][A-Z0-9_]+): (?P<detail>.*)$", re.DOTALL)


class Bak2RdsError(Exception):
    """A failure with a catalogue code. Raise a leaf class, never this one.

    Each code belongs to one class (``codes``, the first is the default): the error name the
    console shows is the same wherever a code is raised, and ``for_code`` finds the class of
    a code known only at run time (a restore's task_info).
    """

    codes: ClassVar[tuple[str, ...]] = ("INTERNAL_ERROR",)

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        self.code = code or self.codes[0]
        if self.code not in CATALOGUE:
            raise KeyError(f"{self.code} is not in the error catalogue")
        if self.code not in self.codes:
            owner = next((c.__name__ for c in leaf_classes() if self.code in c.codes), "no class")
            raise KeyError(f"{self.code} belongs to {owner}, not {type(self).__name__}")
        self.detail = detail
        super().__init__(f"{self.code}: {detail}")


class TransientDependencyError(Bak2RdsError):
    """A dependency failed in a way worth retrying (throttle, timeout, connection reset)."""

    codes = ("DEPENDENCY_UNAVAILABLE",)


class InvalidBackupObject(Bak2RdsError):
    codes = (
        "NOT_A_BAK_FILE",
        "INVALID_EVENT",
        "EMPTY_BACKUP_OBJECT",
        "BACKUP_OBJECT_MISSING",
        "BACKUP_OBJECT_SUPERSEDED",
        "BACKUP_TOO_LARGE",
    )


class UnusableBackup(Bak2RdsError):
    """The backup's header says RDS cannot or must not restore it."""

    codes = (
        "NOT_A_SQL_SERVER_BACKUP",
        "UNSUPPORTED_BACKUP_TYPE",
        "PASSWORD_PROTECTED_BACKUP",
        "TOO_MANY_STRIPES",
        "STRIPE_SET_AMBIGUOUS",
        "BASE_BACKUP_MISSING",
    )


class StripeSetIncomplete(Bak2RdsError):
    """Stripes of a striped backup are still missing: the execution ends quietly (not a
    failure) and the upload of the last stripe starts the migration."""

    codes = ("STRIPES_MISSING",)


class InvalidDatabaseName(Bak2RdsError):
    codes = ("INVALID_DATABASE_NAME",)


class TargetNotReady(Bak2RdsError):
    """The RDS instance cannot take this backup, whether found before the restore or by RDS."""

    codes = (
        "TARGET_NOT_AVAILABLE",
        "TARGET_NOT_FOUND",
        "TARGET_NOT_SQLSERVER",
        "RESTORE_OPTION_MISSING",
        "RESTORE_NO_SPACE",
        "RESTORE_BACKUP_TOO_NEW",
        "BACKUP_TOO_OLD",
        "TARGET_DATABASE_MISSING",
    )


class DatabaseAlreadyExists(Bak2RdsError):
    codes = ("DATABASE_EXISTS",)


class RestoreAlreadyRunning(Bak2RdsError):
    codes = ("RESTORE_ALREADY_RUNNING",)


class SqlAccessDenied(Bak2RdsError):
    codes = ("SQL_LOGIN_FAILED", "SQL_PERMISSION_DENIED")


class SecretUnreadable(Bak2RdsError):
    codes = ("SECRET_UNREADABLE",)


class RestoreTaskFailed(Bak2RdsError):
    codes = (
        "RESTORE_FAILED",
        "RESTORE_ACCESS_DENIED",
        "RESTORE_KMS_KEY",
        "RESTORE_BUCKET_REGION",
        "RESTORE_TOO_MANY_FILES",
        "RESTORE_BACKUP_UNREADABLE",
    )


class RestoreTaskCancelled(Bak2RdsError):
    codes = ("RESTORE_CANCELLED",)


class RestoreHistoryMissing(Bak2RdsError):
    codes = ("RESTORE_HISTORY_MISSING",)


class RestoredBackupMismatch(Bak2RdsError):
    codes = ("BACKUP_LSN_MISMATCH",)


class DmsRequestRejected(Bak2RdsError):
    codes = ("DMS_REQUEST_REJECTED", "DMS_ENDPOINT_MISMATCH")


class DmsEndpointUnreachable(Bak2RdsError):
    """DMS's connection test of an endpoint, from the replication instance, failed."""

    codes = ("DMS_SOURCE_UNREACHABLE", "DMS_TARGET_UNREACHABLE")


class AssessmentFailed(Bak2RdsError):
    codes = ("DMS_ASSESSMENT_FAILED",)


class KeylessTables(Bak2RdsError):
    codes = ("KEYLESS_TABLES",)


class CdcTaskFailed(Bak2RdsError):
    codes = (
        "DMS_TASK_FAILED",
        "DMS_TASK_STOPPED",
        "DMS_TABLE_SUSPENDED",
        "DMS_START_POSITION_UNAVAILABLE",
    )


class SigningKeyUnreadable(Bak2RdsError):
    codes = ("APPROVAL_KEY_UNREADABLE",)


class CutoverNotDrained(Bak2RdsError):
    codes = ("CUTOVER_NOT_DRAINED",)


class CdcTaskNotStopped(Bak2RdsError):
    codes = ("DMS_STOP_FAILED",)


class AwsAccessDenied(Bak2RdsError):
    codes = ("AWS_ACCESS_DENIED",)


class ConfigurationError(Bak2RdsError):
    codes = ("CONFIGURATION_INVALID",)


# Codes no bak2rds class raises: Step Functions' own errors, an expired approval (a Fail
# state's error), and what an unknown exception is reported as.
# Codes no exception carries: Step Functions' own errors, and what Notify or Alert report.
UNRAISED_CODES = frozenset(
    {
        "STEP_TIMED_OUT",
        "APPROVAL_EXPIRED",
        "INTERNAL_ERROR",
        "EXECUTION_ABORTED",
        "EXECUTION_TIMED_OUT",
    }
)


def leaf_classes() -> list[type[Bak2RdsError]]:
    """Every class below Bak2RdsError, however deep."""
    found, pending = [], list(Bak2RdsError.__subclasses__())
    while pending:
        cls = pending.pop(0)
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def owner_of(code: str) -> type[Bak2RdsError]:
    """The one class that carries ``code``."""
    for cls in leaf_classes():
        if code in cls.codes:
            return cls
    raise KeyError(f"no error class carries the code {code}")


def for_code(code: str, detail: str) -> Bak2RdsError:
    """The error for a code known only at run time (a classified restore message)."""
    return owner_of(code)(detail, code=code)


# Errors Step Functions itself raises, mapped to the catalogue for the failure message.
_STATES_ERRORS = {"States.Timeout": "STEP_TIMED_OUT", "States.HeartbeatTimeout": "STEP_TIMED_OUT"}


def describe_failure(error: str, message: str) -> tuple[CatalogueEntry, str]:
    """Catalogue entry and detail for a caught Step Functions error (name and message)."""
    coded = _CODED_MESSAGE.match(message)
    if coded and coded["code"] in CATALOGUE:
        return CATALOGUE[coded["code"]], coded["detail"]
    if error == TransientDependencyError.__name__:
        return CATALOGUE["DEPENDENCY_UNAVAILABLE"], message
    code = _STATES_ERRORS.get(error, "INTERNAL_ERROR")
    return CATALOGUE[code], f"{error}: {message}" if message else error
