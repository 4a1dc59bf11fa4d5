"""Check Logins: before the cutover is asked for, the restored database's users that no login
of the RDS instance maps to, with the statements that fix each.

A native restore brings the database's users but not the instance's logins, so an
application that logs in as ``app_user`` fails after the cutover until a login with that
user's SID exists (or the user is mapped to one). bak2rds only reports: it creates no login.
Looked at just before the approval e-mail, so logins a DBA created during CDC count.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Protocol

from bak2rds.adapters.restored_database import OrphanedUser
from bak2rds.models import Logins, UnmappedUser
from bak2rds.naming import quoted

USERS_KEPT = 50  # in the state and the e-mail; the count says how many there are
_SID = re.compile(r"0x[0-9A-Fa-f]{2,170}")


class UserCatalogue(Protocol):
    def orphaned_users(self) -> list[OrphanedUser]: ...


def run(database: UserCatalogue, now: datetime) -> Logins:
    users = database.orphaned_users()
    return {
        "checked_at": now.isoformat(),
        "count": len(users),
        "unmapped_users": [_fix(user) for user in users[:USERS_KEPT]],
    }


def _fix(user: OrphanedUser) -> UnmappedUser:
    name = quoted(user.name)
    if user.windows:  # the domain gives the SID: the login of the same name maps to it
        fix = [f"CREATE LOGIN {name} FROM WINDOWS;"]
    elif _SID.fullmatch(user.sid_hex):
        fix = [
            f"CREATE LOGIN {name} WITH PASSWORD = N'<a new password>', SID = {user.sid_hex};",
            f"-- or, to map it to a login that exists: ALTER USER {name} WITH LOGIN = {name};",
        ]
    else:  # never from SQL Server's CONVERT; kept out of any statement
        fix = [f"ALTER USER {name} WITH LOGIN = <an existing login>;"]
    return {"user": user.name, "windows": user.windows, "fix": fix}
