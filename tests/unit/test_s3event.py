import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bak2rds.errors import InvalidBackupObject
from bak2rds.s3event import parse_object_created

EVENT = json.loads((Path(__file__).parents[2] / "events" / "start_migration.json").read_text())


def test_object_created_event_is_read() -> None:
    uploaded = parse_object_created(EVENT)
    assert uploaded.bucket == EVENT["detail"]["bucket"]["name"]
    assert uploaded.key == EVENT["detail"]["object"]["key"]
    assert uploaded.size == EVENT["detail"]["object"]["size"]
    assert uploaded.identity == EVENT["detail"]["object"]["version-id"]


def test_url_encoded_key_is_decoded_first_and_raw_key_kept_as_fallback() -> None:
    event = copy.deepcopy(EVENT)
    event["detail"]["object"]["key"] = "in/My+Sales%2B2026.bak"
    assert parse_object_created(event).candidate_keys() == [
        "in/My Sales+2026.bak",
        "in/My+Sales%2B2026.bak",
    ]


def test_unversioned_object_is_identified_by_its_sequencer() -> None:
    event = copy.deepcopy(EVENT)
    del event["detail"]["object"]["version-id"]
    assert parse_object_created(event).identity == event["detail"]["object"]["sequencer"]


def _without(path: list[str]) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(EVENT)
    node: Any = event
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return event


@pytest.mark.parametrize(
    "event",
    [
        {},
        {**EVENT, "source": "aws.ec2"},
        {**EVENT, "detail-type": "Object Deleted"},
        _without(["detail", "bucket"]),
        _without(["detail", "object", "key"]),
        {
            **EVENT,
            "detail": {**EVENT["detail"], "object": {**EVENT["detail"]["object"], "size": -1}},
        },
    ],
    ids=["empty", "other-source", "deleted", "no-bucket", "no-key", "negative-size"],
)
def test_anything_else_is_an_invalid_event(event: dict[str, Any]) -> None:
    with pytest.raises(InvalidBackupObject) as caught:
        parse_object_created(event)
    assert caught.value.code == "INVALID_EVENT"
