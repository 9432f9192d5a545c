"""The error hierarchy: each class has its documented HTTP status, exit code and check name."""

from __future__ import annotations

import re

import pytest

import dojang.errors as errors_module
from dojang.errors import (
    AlgorithmError,
    AudienceError,
    ClaimsError,
    ConfigError,
    DisclosureError,
    DojangError,
    FieldProblem,
    ForbiddenError,
    HeaderError,
    HolderBindingError,
    InputError,
    MalformedError,
    NonceError,
    NotFoundError,
    SchemaError,
    SignatureError,
    TooLargeError,
    ValidityPeriodError,
    VerificationError,
)

# Written out from the errors module docstring on purpose: a change of status or exit code is a change
# of the public contract (HTTP clients and shell scripts rely on them) and must show up here.
STATUS_AND_EXIT = [
    (DojangError, 500, 2),
    (InputError, 400, 2),
    (MalformedError, 400, 2),
    (TooLargeError, 413, 2),
    (SchemaError, 422, 2),
    (NotFoundError, 404, 2),
    (ForbiddenError, 403, 2),
    (ConfigError, 500, 2),
    (VerificationError, 422, 1),
    (SignatureError, 422, 1),
    (AlgorithmError, 422, 1),
    (HeaderError, 422, 1),
    (DisclosureError, 422, 1),
    (ClaimsError, 422, 1),
    (ValidityPeriodError, 422, 1),
    (HolderBindingError, 422, 1),
    (AudienceError, 422, 1),
    (NonceError, 422, 1),
]

CHECKS = [
    (SignatureError, "signature"),
    (AlgorithmError, "algorithm"),
    (HeaderError, "header"),
    (DisclosureError, "disclosures"),
    (ClaimsError, "claims"),
    (ValidityPeriodError, "validity-period"),
    (HolderBindingError, "key-binding"),
    (AudienceError, "audience"),
    (NonceError, "nonce"),
]

PARENTS = [
    (InputError, DojangError),
    (MalformedError, InputError),
    (TooLargeError, InputError),
    (SchemaError, InputError),
    (NotFoundError, DojangError),
    (ForbiddenError, DojangError),
    (ConfigError, DojangError),
    (VerificationError, DojangError),
    *((cls, VerificationError) for cls, _ in CHECKS),
]


def _instance(cls: type[DojangError]) -> DojangError:
    if cls is SchemaError:
        return SchemaError("bad claims", [])
    return cls("boom")


@pytest.mark.parametrize(("cls", "status", "exit_code"), STATUS_AND_EXIT)
def test_status_and_exit_code(cls: type[DojangError], status: int, exit_code: int) -> None:
    err = _instance(cls)
    assert (err.http_status, err.exit_code) == (status, exit_code)


@pytest.mark.parametrize(("cls", "parent"), PARENTS)
def test_hierarchy(cls: type[DojangError], parent: type[DojangError]) -> None:
    assert cls.__mro__[1] is parent


@pytest.mark.parametrize(("cls", "check"), CHECKS)
def test_verification_errors_name_their_check(cls: type[VerificationError], check: str) -> None:
    assert cls("x").check == check


def _docstring_checks() -> dict[str, str]:
    """Every ``Name ... check "x"`` line of the drawn tree (``A / B ... check "a" / "b"`` included)."""
    found: dict[str, str] = {}
    doc = errors_module.__doc__ or ""
    for line in doc.splitlines():
        match = re.search(r"── ([\w /]+?)\s+check (.+)$", line)
        if match:
            names = [n.strip() for n in match.group(1).split("/")]
            checks = re.findall(r'"([^"]+)"', match.group(2))
            assert len(names) == len(checks), line
            found.update(zip(names, checks, strict=True))
    return found


def test_every_check_drawn_in_the_docstring_is_the_class_check() -> None:
    drawn = _docstring_checks()
    assert set(dict(CHECKS).values()) <= set(drawn.values())
    for name, check in drawn.items():
        cls = getattr(errors_module, name)
        assert issubclass(cls, VerificationError), name
        assert cls("x").check == check, name
        assert name in errors_module.__all__


def test_every_verification_error_in_the_module_is_drawn() -> None:
    drawn = _docstring_checks()
    classes = {
        name
        for name in errors_module.__all__
        if isinstance(cls := getattr(errors_module, name), type)
        and issubclass(cls, VerificationError)
        and cls is not VerificationError
    }
    assert classes == set(drawn)


def test_check_names_are_distinct() -> None:
    drawn = _docstring_checks()
    assert len(set(drawn.values())) == len(drawn)


def test_check_can_be_overridden_per_instance() -> None:
    err = VerificationError("nope", check="signature")
    assert err.check == "signature"
    assert VerificationError("nope").check == "valid"
    assert SignatureError("x", check="custom").check == "custom"
    assert SignatureError("y").check == "signature"  # the override did not leak into the class


def test_diagnostics_with_and_without_hint() -> None:
    assert DojangError("broken").diagnostics() == "broken"
    err = ConfigError("no key", hint="run dojang keys init")
    assert err.diagnostics() == "no key\n  hint: run dojang keys init"
    assert err.message == "no key"
    assert str(err) == "no key"
    assert ConfigError("again").hint == ""  # the hint did not leak into the class


def test_schema_error_lists_every_problem() -> None:
    problems = [FieldProblem("members[2].name", "is required"), FieldProblem("", "unexpected field 'x'")]
    err = SchemaError("claims do not match kind", problems)
    assert err.problems == tuple(problems)
    assert err.message.splitlines() == [
        "claims do not match kind",
        "  - members[2].name: is required",
        "  - (root): unexpected field 'x'",
    ]
    assert SchemaError("only message", []).message == "only message"


def test_field_problem_is_frozen() -> None:
    problem = FieldProblem("a", "b")
    with pytest.raises(AttributeError):
        problem.path = "c"  # type: ignore[misc]
