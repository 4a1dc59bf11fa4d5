"""The target RDS for SQL Server instance in moto, set up as a DBA would have it."""

from __future__ import annotations

from typing import Any

from bak2rds.adapters.rds import BACKUP_RESTORE_OPTION

ENGINE = "sqlserver-se"
ENGINE_VERSION = "15.00.4415.2.v1"  # SQL Server 2019
OPTION_GROUP = "bak2rds-sqlserver-se-15"


def create_target(
    rds: Any,
    instance_id: str,
    username: str,
    password: str,
    *,
    allocated_storage_gib: int = 200,
    with_restore_option: bool = True,
) -> tuple[str, int]:
    """Create the instance (with the backup/restore option by default); return its endpoint."""
    rds.create_option_group(
        OptionGroupName=OPTION_GROUP,
        EngineName=ENGINE,
        MajorEngineVersion="15.00",
        OptionGroupDescription="native backup and restore for bak2rds",
    )
    if with_restore_option:
        rds.modify_option_group(
            OptionGroupName=OPTION_GROUP,
            OptionsToInclude=[
                {
                    "OptionName": BACKUP_RESTORE_OPTION,
                    "OptionSettings": [
                        {
                            "Name": "IAM_ROLE_ARN",
                            "Value": "arn:aws:iam::123456789012:role/bak2rds-rds-restore",
                        }
                    ],
                }
            ],
            ApplyImmediately=True,
        )
    rds.create_db_instance(
        DBInstanceIdentifier=instance_id,
        Engine=ENGINE,
        EngineVersion=ENGINE_VERSION,
        LicenseModel="license-included",
        DBInstanceClass="db.m6i.xlarge",
        AllocatedStorage=allocated_storage_gib,
        MasterUsername=username,
        MasterUserPassword=password,
        OptionGroupName=OPTION_GROUP,
    )
    instance = rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0]
    return str(instance["Endpoint"]["Address"]), int(instance["Endpoint"]["Port"])
