import pytest

from bak2rds import config
from bak2rds.config import CdcSettings, DmsSettings, LsnSettings, SqlSettings
from bak2rds.errors import ConfigurationError

DMS_ENV = {
    "DMS_REPLICATION_INSTANCE_ARN": "arn:aws:dms:us-east-1:1:rep:R",
    "DMS_SOURCE_ENDPOINT_ARN": "arn:aws:dms:us-east-1:1:endpoint:S",
    "DMS_TARGET_ENDPOINT_ARN": "arn:aws:dms:us-east-1:1:endpoint:T",
    "DMS_TABLE_MAPPINGS": '{"rules": [{"rule-type": "selection"}]}',
}


def test_defaults_apply_when_optional_settings_are_absent() -> None:
    assert CdcSettings.from_env({}) == CdcSettings(
        60, 3, validation=True, validation_must_finish=False
    )
    assert LsnSettings.from_env({}).strategy == "first_lsn"
    assert SqlSettings.from_env({"DB_SECRET_ARN": "arn:s"}).query_timeout_seconds == 60


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({}, "DB_SECRET_ARN"),
        (
            {"DB_SECRET_ARN": "arn:s", "SQL_QUERY_TIMEOUT_SECONDS": "-1"},
            "SQL_QUERY_TIMEOUT_SECONDS",
        ),
    ],
)
def test_missing_or_bad_sql_settings_fail_loudly_by_name(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigurationError, match=names):
        SqlSettings.from_env(env)


@pytest.mark.parametrize("mappings", ["not json", "[]", '{"rules": []}'])
def test_table_mappings_must_be_a_json_object_with_rules(mappings: str) -> None:
    with pytest.raises(ConfigurationError, match="DMS_TABLE_MAPPINGS"):
        DmsSettings.from_env({**DMS_ENV, "DMS_TABLE_MAPPINGS": mappings})


def test_unknown_lsn_strategy_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="first_lsn, checkpoint_lsn, last_lsn"):
        LsnSettings.from_env({"START_LSN_STRATEGY": "latest"})


def test_settings_are_read_once_per_container_until_the_cache_is_cleared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CDC_READY_CHECKS", "4")
    first = config.load(CdcSettings)
    monkeypatch.setenv("CDC_READY_CHECKS", "9")
    assert config.load(CdcSettings) is first  # a warm container keeps what it validated
    config.clear_cache()
    assert config.load(CdcSettings).ready_checks == 9
