import json
import re
from pathlib import Path

import pytest

from bak2rds import errors
from bak2rds.errors import CATALOGUE, Bak2RdsError, RestoreTaskFailed, describe_failure

ROOT = Path(__file__).parents[2]


def _leaf_classes() -> list[type[Bak2RdsError]]:
    return [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, Bak2RdsError) and value is not Bak2RdsError
    ]


@pytest.mark.parametrize("cls", _leaf_classes(), ids=lambda cls: cls.__name__)
def test_every_error_class_has_a_catalogued_default_code(cls: type[Bak2RdsError]) -> None:
    assert cls.default_code in CATALOGUE
    assert str(cls("detail")) == f"{cls.default_code}: detail"


def test_every_code_the_code_raises_is_in_the_catalogue() -> None:
    sources = "\n".join(p.read_text() for p in (ROOT / "layers/common/bak2rds").rglob("*.py"))
    used = set(re.findall(r'code="([A-Z_]+)"', sources)) | set(
        re.findall(r'\(r?"[^"]*", "([A-Z_]+)"\)', sources)
    )
    assert used, "the scan found no codes: the pattern is broken"
    assert used <= set(CATALOGUE), used - set(CATALOGUE)


def test_unknown_codes_are_refused_when_raised() -> None:
    with pytest.raises(KeyError):
        RestoreTaskFailed("x", code="NOT_A_CODE")


def test_a_lambda_error_is_described_by_the_code_in_its_message() -> None:
    entry, detail = describe_failure("RestoreTaskFailed", "RESTORE_NO_SPACE: task 3 ended in ERROR")
    assert entry.code == "RESTORE_NO_SPACE"
    assert detail == "task 3 ended in ERROR"


@pytest.mark.parametrize(
    ("error", "message", "code"),
    [
        ("States.Timeout", "", "STEP_TIMED_OUT"),
        ("TransientDependencyError", "SQL Server: timed out", "DEPENDENCY_UNAVAILABLE"),
        ("KeyError", "'migration'", "INTERNAL_ERROR"),
        ("Lambda.Unknown", json.dumps({"x": 1}), "INTERNAL_ERROR"),
    ],
)
def test_errors_without_a_code_map_to_a_catalogue_entry(
    error: str, message: str, code: str
) -> None:
    entry, detail = describe_failure(error, message)
    assert entry.code == code
    assert error in detail or message in detail


def test_catalogue_entries_say_what_happened_and_what_to_do() -> None:
    for entry in CATALOGUE.values():
        assert entry.cause.endswith(".") and entry.action.endswith("."), entry.code


def test_the_readme_renders_every_catalogue_entry() -> None:
    readme = (ROOT / "README.md").read_text()
    for entry in CATALOGUE.values():
        assert f"| `{entry.code}` | {entry.cause} | {entry.action} |" in readme, entry.code
