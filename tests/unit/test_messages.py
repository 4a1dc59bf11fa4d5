import json
from dataclasses import dataclass, field

import pytest

from bak2rds import messages
from bak2rds.catalogue import CATALOGUE
from bak2rds.models import CaughtError, MigrationState
from bak2rds.steps import notify
from tests import states

EXECUTION = "arn:aws:states:eu-west-1:123456789012:execution:bak2rds-migration:Northwind-0123abcd"
STATE: MigrationState = states.state()


@dataclass
class FakeTopic:
    published: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def publish(self, subject: str, message: str, attributes: dict[str, str]) -> str:
        self.published.append((subject, message, attributes))
        return f"m-{len(self.published)}"


@pytest.mark.parametrize(
    ("kind", "subject"),
    [
        ("RESTORE_STARTED", "[bak2rds] Northwind: restore started"),
        ("RESTORE_FINISHED", "[bak2rds] Northwind: restore finished in 1h 13m"),
        ("CDC_STARTED", "[bak2rds] Northwind: CDC started at 00000014:000000f3:0001"),
        ("READY_FOR_CUTOVER", "[bak2rds] Northwind: ready for cutover"),
    ],
)
def test_milestone_subjects_scan_well_in_an_inbox(kind: str, subject: str) -> None:
    got, body = messages.milestone(kind, STATE, EXECUTION)
    assert got == subject
    assert (
        "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/"
        + EXECUTION
        in body
    )


def test_cdc_started_names_the_lsn_in_both_forms_and_the_strategy() -> None:
    _, body = messages.milestone("CDC_STARTED", STATE, EXECUTION)
    assert "00000014:000000f3:0001" in body and "20000000024300001" in body and "first_lsn" in body


@pytest.mark.parametrize("database", ["Ünïcødé_名前", "x" * 128])
def test_subjects_stay_within_what_sns_accepts(database: str) -> None:
    state: MigrationState = {
        **STATE,
        "migration": {**STATE["migration"], "database_name": database},
    }
    subject, _ = messages.milestone("READY_FOR_CUTOVER", state, EXECUTION)
    assert len(subject) < 100
    assert subject.isascii() and subject.isprintable()


def test_a_failure_message_carries_code_cause_detail_and_what_to_do() -> None:
    topic = FakeTopic()
    caught: CaughtError = {
        "Error": "RestoreTaskFailed",
        "Cause": json.dumps(
            {
                "errorType": "RestoreTaskFailed",
                "errorMessage": "RESTORE_NO_SPACE: task 7 ended in ERROR: disk full",
                "stackTrace": [],
            }
        ),
    }
    notice = notify.failure(caught, STATE, EXECUTION, topic)
    subject, body, attributes = topic.published[0]
    entry = CATALOGUE["RESTORE_NO_SPACE"]
    assert subject == "[bak2rds] Northwind: FAILED RESTORE_NO_SPACE"
    assert (
        entry.cause in body and entry.action in body and "task 7 ended in ERROR: disk full" in body
    )
    assert attributes == {"event": "FAILED", "code": "RESTORE_NO_SPACE"}
    assert notice["code"] == "RESTORE_NO_SPACE"
    assert "disk full" in notice["cause"] and entry.action in notice["cause"]


def test_a_failure_before_the_migration_was_read_names_the_file() -> None:
    topic = FakeTopic()
    state = {"detail": {"object": {"key": "in/Bad Name.bak"}}}
    notify.failure({"Error": "States.Timeout", "Cause": ""}, state, EXECUTION, topic)
    assert topic.published[0][0] == "[bak2rds] Bad Name.bak: FAILED STEP_TIMED_OUT"


def test_console_links_follow_the_partition() -> None:
    link = messages.console_link("arn:aws-cn:states:cn-north-1:1:execution:sm:n")
    assert link.startswith("https://console.amazonaws.cn/states/home?region=cn-north-1")
