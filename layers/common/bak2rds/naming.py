"""Names bak2rds derives: the target database, the execution and the DMS task.

The database name is validated against what SQL Server accepts *and* what is safe to pass
around; identifiers that cannot be parameters are bracket-quoted by ``quote_identifier``.
Execution and DMS task names are derived from the object so a duplicate event maps to the
same name (which is how duplicates are detected), and are readable in the console.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from bak2rds.errors import InvalidBackupObject, InvalidDatabaseName

MAX_DATABASE_NAME = 128  # sysname
BACKUP_SUFFIX = ".bak"
# RDS system databases and SQL Server's own: restoring over them is never what anyone means.
_SYSTEM_DATABASES = frozenset({"master", "model", "msdb", "tempdb", "rdsadmin", "resource"})
# T-SQL reserved keywords (Microsoft Learn, "Reserved keywords (Transact-SQL)").
_RESERVED = frozenset(
    """ADD ALL ALTER AND ANY AS ASC AUTHORIZATION BACKUP BEGIN BETWEEN BREAK BROWSE BULK BY
    CASCADE CASE CHECK CHECKPOINT CLOSE CLUSTERED COALESCE COLLATE COLUMN COMMIT COMPUTE
    CONSTRAINT CONTAINS CONTAINSTABLE CONTINUE CONVERT CREATE CROSS CURRENT CURRENT_DATE
    CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER CURSOR DATABASE DBCC DEALLOCATE DECLARE DEFAULT
    DELETE DENY DESC DISK DISTINCT DISTRIBUTED DOUBLE DROP DUMP ELSE END ERRLVL ESCAPE EXCEPT
    EXEC EXECUTE EXISTS EXIT EXTERNAL FETCH FILE FILLFACTOR FOR FOREIGN FREETEXT FREETEXTTABLE
    FROM FULL FUNCTION GOTO GRANT GROUP HAVING HOLDLOCK IDENTITY IDENTITY_INSERT IDENTITYCOL IF
    IN INDEX INNER INSERT INTERSECT INTO IS JOIN KEY KILL LEFT LIKE LINENO LOAD MERGE NATIONAL
    NOCHECK NONCLUSTERED NOT NULL NULLIF OF OFF OFFSETS ON OPEN OPENDATASOURCE OPENQUERY
    OPENROWSET OPENXML OPTION OR ORDER OUTER OVER PERCENT PIVOT PLAN PRECISION PRIMARY PRINT
    PROC PROCEDURE PUBLIC RAISERROR READ READTEXT RECONFIGURE REFERENCES REPLICATION RESTORE
    RESTRICT RETURN REVERT REVOKE RIGHT ROLLBACK ROWCOUNT ROWGUIDCOL RULE SAVE SCHEMA
    SECURITYAUDIT SELECT SEMANTICKEYPHRASETABLE SEMANTICSIMILARITYDETAILSTABLE
    SEMANTICSIMILARITYTABLE SESSION_USER SET SETUSER SHUTDOWN SOME STATISTICS SYSTEM_USER TABLE
    TABLESAMPLE TEXTSIZE THEN TO TOP TRAN TRANSACTION TRIGGER TRUNCATE TRY_CONVERT TSEQUAL
    UNION UNIQUE UNPIVOT UPDATE UPDATETEXT USE USER VALUES VARYING VIEW WAITFOR WHEN WHERE
    WHILE WITH WITHIN WRITETEXT""".split()
)
# Letters and digits of any script, and the few punctuation marks SQL Server and the RDS
# procedures handle without surprises. Brackets, quotes, semicolons, spaces and control
# characters are refused outright rather than quoted: they are never a real database name.
_EXTRA_NAME_CHARACTERS = frozenset("_-.$#@")
_EXECUTION_NAME_MAX = 80
_HASH_LENGTH = 12
_WAITING = "waiting"


def database_name_from_key(key: str) -> str:
    """``any/prefix/DatabaseName.bak`` → ``DatabaseName`` (suffix matched in any case)."""
    if key.endswith("/"):
        raise InvalidBackupObject(f"{key!r} is a folder, not a backup file")
    file_name = key.rsplit("/", 1)[-1]
    if not file_name.lower().endswith(BACKUP_SUFFIX):
        raise InvalidBackupObject(f"{key!r} does not end in {BACKUP_SUFFIX}")
    return file_name[: -len(BACKUP_SUFFIX)]


def validate_database_name(name: str) -> str:
    """Return ``name`` if SQL Server on RDS accepts it as a new database, else raise."""
    shown = repr(name) if len(name) <= 140 else repr(name[:140]) + "..."
    if not name:
        raise InvalidDatabaseName("the database name is empty (the key is only '.bak')")
    if len(name) > MAX_DATABASE_NAME:
        raise InvalidDatabaseName(
            f"{shown} has {len(name)} characters; SQL Server allows {MAX_DATABASE_NAME}"
        )
    if unicodedata.normalize("NFC", name) != name:
        raise InvalidDatabaseName(f"{shown} is not in Unicode normal form C")
    first = name[0]
    if not (first.isalpha() or first == "_"):
        raise InvalidDatabaseName(f"{shown} must start with a letter or an underscore")
    bad = sorted({ch for ch in name if not (ch.isalnum() or ch in _EXTRA_NAME_CHARACTERS)})
    if bad:
        listed = " ".join(repr(ch) for ch in bad)
        raise InvalidDatabaseName(
            f"{shown} contains characters bak2rds does not accept in a database name: {listed}"
        )
    if name.upper() in _RESERVED:
        raise InvalidDatabaseName(f"{shown} is a T-SQL reserved word")
    if name.lower() in _SYSTEM_DATABASES:
        raise InvalidDatabaseName(f"{shown} is a system database")
    return name


def quote_identifier(name: str) -> str:
    """Bracket-quote an identifier for the rare SQL that cannot take it as a parameter."""
    return "[" + name.replace("]", "]]") + "]"


def object_fingerprint(bucket: str, key: str, version: str) -> str:
    """Short stable hash of one object version: the identity of a migration."""
    digest = hashlib.sha256(f"{bucket}\n{key}\n{version}".encode()).hexdigest()
    return digest[:_HASH_LENGTH]


def quoted(*parts: str) -> str:
    """``[schema].[table]``, as SQL Server's QUOTENAME writes each part (``]`` doubled), for
    messages and the statements a DBA is given (bak2rds's own statements quote on the server)."""
    return ".".join("[" + part.replace("]", "]]") + "]" for part in parts)


def execution_name(key: str, fingerprint: str, suffix: str = "") -> str:
    """``<key stem>-<fingerprint>[-<suffix>]``: readable in the console, at most 80
    characters, and limited to letters, digits, - and _ (the characters allowed with
    CloudWatch logging)."""
    stem = key.rsplit("/", 1)[-1]
    if stem.lower().endswith(BACKUP_SUFFIX):
        stem = stem[: -len(BACKUP_SUFFIX)]
    tail = f"-{fingerprint}" + (f"-{suffix}" if suffix else "")
    readable = _ascii_slug(stem, keep="_-")[: _EXECUTION_NAME_MAX - len(tail)]
    return f"{readable or 'backup'}{tail}"


def stripe_set_execution_name(database: str, fingerprint: str, complete: bool) -> str:
    """One execution per striped set: ``<database>-<fingerprint>`` once every stripe is there,
    and before that one ``<database>-<fingerprint>-waiting`` that says what is missing. Only
    a waiting name ends in ``-waiting``: every other name ends in the hex fingerprint."""
    return execution_name(database, fingerprint, "" if complete else _WAITING)


def is_waiting_for_stripes(execution: str) -> bool:
    """Whether ``execution`` (a name or an execution ARN) is a striped set's waiting one."""
    return execution.rsplit(":", 1)[-1].endswith(f"-{_WAITING}")


def dms_task_identifier(execution: str) -> str:
    """A DMS task identifier for the migration started as ``execution``: letters, digits and
    single hyphens, starting with a letter, not ending in a hyphen, at most 255 characters."""
    body = re.sub(r"-{2,}", "-", _ascii_slug(execution, keep="-").replace("_", "-")).strip("-")
    return f"bak2rds-{body.lower()}"[:255].rstrip("-")


def _ascii_slug(text: str, keep: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    allowed = re.escape(keep)
    slug = re.sub(rf"[^A-Za-z0-9{allowed}]+", "_" if "_" in keep else "-", ascii_text)
    return slug.strip("_-")


def dms_endpoint_identifier(execution: str, role: str) -> str:
    """This migration's ``source`` or ``target`` endpoint: the task's identifier plus the role,
    within the same rules (letters, digits, single hyphens, at most 255 characters)."""
    suffix = f"-{role}"
    return dms_task_identifier(execution)[: 255 - len(suffix)].rstrip("-") + suffix
