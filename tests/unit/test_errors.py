import ast
from pathlib import Path

import pytest

from bak2rds import catalogue, errors
from bak2rds.adapters import sqlserver
from bak2rds.catalogue import CATALOGUE
from bak2rds.errors import Bak2RdsError, RestoreTaskFailed, describe_failure

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize("cls", errors.leaf_classes(), ids=lambda cls: cls.__name__)
def test_every_error_class_has_a_catalogued_default_code(cls: type[Bak2RdsError]) -> None:
    assert set(cls.codes) <= set(CATALOGUE)
    assert str(cls("detail")) == f"{cls.codes[0]}: detail"


def test_every_catalogued_code_belongs_to_exactly_one_class_or_to_none_by_design() -> None:
    owners: dict[str, list[str]] = {}
    for cls in errors.leaf_classes():
        for code in cls.codes:
            owners.setdefault(code, []).append(cls.__name__)
    assert {code: names for code, names in owners.items() if len(names) > 1} == {}
    assert set(owners) | errors.UNRAISED_CODES == set(CATALOGUE)
    assert not set(owners) & errors.UNRAISED_CODES


def _raised_with_a_code() -> set[tuple[str, str]]:
    """(class, code) for every ``SomeError(..., code="X")`` in the shared package."""
    pairs = set()
    for path in (ROOT / "layers/common/bak2rds").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                for keyword in node.keywords:
                    if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                        pairs.add((node.func.id, str(keyword.value.value)))
    return pairs


def test_every_code_raised_in_the_code_is_one_its_class_carries() -> None:
    pairs = _raised_with_a_code()
    assert len(pairs) > 10, "the scan found too few codes: it is broken"
    wrong = {(name, code) for name, code in pairs if code not in getattr(errors, name).codes}
    assert wrong == set()


def test_every_code_a_restore_message_is_classified_as_has_a_class() -> None:
    classified = {code for _, code in sqlserver._RESTORE_MESSAGES} | {"RESTORE_FAILED"}
    for code in classified:
        assert errors.owner_of(code) is not Bak2RdsError, code
        assert errors.for_code(code, "x").code == code


def test_a_code_raised_with_a_class_it_does_not_belong_to_is_refused() -> None:
    with pytest.raises(KeyError, match="belongs to TargetNotReady"):
        RestoreTaskFailed("x", code="RESTORE_NO_SPACE")


def test_unknown_codes_are_refused_when_raised() -> None:
    with pytest.raises(KeyError):
        RestoreTaskFailed("x", code="NOT_A_CODE")


def test_a_lambda_error_is_described_by_the_code_in_its_message() -> None:
    entry, detail = describe_failure("RestoreTaskFailed", "RESTORE_NO_SPACE: task 3 ended in ERROR")
    assert entry.code == "RESTORE_NO_SPACE"
    assert detail == "task 3 ended in ERROR"


@pytest.mark.parametrize(
    ("error", "message", "code", "detail"),
    [
        ("States.Timeout", "", "STEP_TIMED_OUT", "States.Timeout"),
        (
            "TransientDependencyError",
            "SQL Server: timed out",
            "DEPENDENCY_UNAVAILABLE",
            "SQL Server: timed out",
        ),
        ("KeyError", "'migration'", "INTERNAL_ERROR", "KeyError: 'migration'"),
        ("Lambda.Unknown", '{"x": 1}', "INTERNAL_ERROR", 'Lambda.Unknown: {"x": 1}'),
    ],
)
def test_errors_without_a_code_map_to_a_catalogue_entry(
    error: str, message: str, code: str, detail: str
) -> None:
    assert describe_failure(error, message) == (CATALOGUE[code], detail)


def test_catalogue_entries_say_what_happened_and_what_to_do() -> None:
    for entry in CATALOGUE.values():
        assert entry.cause.endswith(".") and entry.action.endswith("."), entry.code


def test_the_readmes_error_table_is_the_catalogue_as_generated() -> None:
    readme = (ROOT / "README.md").read_text()
    assert catalogue.markdown_table() in readme, "run `make catalogue` to regenerate it"
    table = readme[readme.index("| Code | Cause | What to do |") :].split("\n\n", 1)[0]
    assert table + "\n" == catalogue.markdown_table()  # no row the catalogue does not have
