"""Reads one kind file (already parsed JSON) and refuses it, naming every problem, unless it is usable."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError as JsonSchemaError

from dojang.core.catalogue._compile import Disclosure
from dojang.core.catalogue._derive import DerivedClaim
from dojang.core.catalogue._kind import ISSUANCE_MODES, DocumentKind, Issuance, Lang
from dojang.core.catalogue._paths import ClaimPath, format_path, lookup, parse_path, schema_paths
from dojang.core.catalogue._schema_rules import schema_problems
from dojang.errors import ConfigError

__all__ = ["parse_kind"]

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_VERSION = re.compile(r"([0-9]+)\.[0-9]+")
_REQUIRED_KEYS = ("id", "vct", "version", "validity_days", "labels", "disclosure", "schema")
_KNOWN_KEYS = frozenset((*_REQUIRED_KEYS, "derived", "notes", "issuance"))
_POLICIES = ("always", "selective", "never")
_DERIVED_KEYS = frozenset(("claim", "rule", "from", "years"))
_LANGS: tuple[Lang, ...] = ("ko", "en")


def parse_kind(document: Mapping[str, Any], *, source: str) -> DocumentKind:
    """A checked :class:`DocumentKind`; :class:`~dojang.errors.ConfigError` names ``source`` and each problem.

    Default rule: a claim inside a ``never`` claim is never issued either and needs no entry of its own.
    Every other claim of the schema needs a policy and labels in ko and en.
    """
    problems: list[str] = []
    if not isinstance(document, Mapping):
        _fail(source, ["a kind file must be a JSON object"])
    problems += [f"missing key {key!r}" for key in _REQUIRED_KEYS if key not in document]
    problems += [f"unknown key {key!r}" for key in document if key not in _KNOWN_KEYS]
    problems += _identity_problems(document)
    schema = document.get("schema")
    schema_ok = isinstance(schema, Mapping) and not (more := _schema_check(schema))
    problems += [] if schema_ok else (more if isinstance(schema, Mapping) else ["'schema' must be an object"])
    disclosure: dict[ClaimPath, Disclosure] = {}
    labels: dict[ClaimPath, dict[Lang, str]] = {}
    derived: list[DerivedClaim] = []
    if schema_ok:
        assert isinstance(schema, Mapping)
        disclosure = _policies(document.get("disclosure"), schema, problems)
        labels = _labels(document.get("labels"), disclosure, problems)
        derived = _derived(document.get("derived", []), schema, disclosure, problems)
    if problems:
        _fail(source, problems)
    return DocumentKind(
        id=document["id"],
        vct=document["vct"],
        version=document["version"],
        validity_days=document["validity_days"],
        titles={lang: document["labels"][lang] for lang in _LANGS},
        labels=labels,
        schema=schema,  # type: ignore[arg-type]  # schema_ok above
        disclosure=disclosure,
        derived=tuple(derived),
        notes=document.get("notes", ""),
        issuance=cast("Issuance", document.get("issuance", "immediate")),
        source=source,
    )


def _fail(source: str, problems: list[str]) -> None:
    lines = "\n".join(f"  - {problem}" for problem in problems)
    raise ConfigError(f"{source}: unusable document kind file\n{lines}", hint="fix the kind file and reload")


def _identity_problems(doc: Mapping[str, Any]) -> list[str]:
    kind_id, version, vct = doc.get("id"), doc.get("version"), doc.get("vct")
    problems = []
    if not (isinstance(kind_id, str) and _ID.fullmatch(kind_id)):
        problems.append("'id' must be lower-case words joined by '-', e.g. 'resident-register-copy'")
    match = _VERSION.fullmatch(version) if isinstance(version, str) else None
    if match is None:
        problems.append("'version' must be a string 'major.minor', e.g. '1.0'")
    elif vct != (want := f"urn:dojang:kr:{kind_id}:{match.group(1)}"):
        problems.append(f"'vct' must be urn:dojang:kr:<id>:<major version>, here {want!r}, not {vct!r}")
    days = doc.get("validity_days")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
        problems.append("'validity_days' must be a whole number of days from 1 to 3650")
    if not isinstance(doc.get("notes", ""), str):
        problems.append("'notes' must be a string")
    if doc.get("issuance", "immediate") not in ISSUANCE_MODES:
        problems.append("'issuance' must be 'immediate' (the default) or 'deferred' (back-office approval)")
    return problems


def _schema_check(schema: Mapping[str, Any]) -> list[str]:
    try:
        Draft202012Validator.check_schema(schema)
    except JsonSchemaError as exc:
        where = "/".join(str(step) for step in exc.absolute_path) or "(root)"
        return [f"'schema' is not a valid JSON Schema (draft 2020-12) at {where}: {exc.message}"]
    return schema_problems(schema)


def _policies(raw: Any, schema: Mapping[str, Any], problems: list[str]) -> dict[ClaimPath, Disclosure]:
    given = _path_map(raw, "disclosure", schema, problems)
    policies: dict[ClaimPath, Disclosure] = {}
    for path in schema_paths(schema):
        inherited = len(path) > 1 and policies.get(path[:-1]) == "never"
        policy = given.get(path, "never" if inherited else None)
        if inherited and policy != "never":
            problems.append(
                f"disclosure of {format_path(path)!r} must be 'never': it is inside a 'never' claim"
            )
        elif policy not in _POLICIES:
            problems.append(
                f"claim {format_path(path)!r} needs a disclosure policy: always, selective or never"
            )
            continue
        elif policy == "never" and path[-1] is None:
            problems.append(f"'never' cannot apply to array elements ({format_path(path)!r}); use the array")
        policies[path] = cast("Disclosure", policy)
    _never_not_required(schema, policies, problems)
    return policies


def _never_not_required(
    schema: Mapping[str, Any], policies: Mapping[ClaimPath, str], problems: list[str]
) -> None:
    for path, policy in policies.items():
        if policy != "never" or policies.get(path[:-1]) == "never":
            continue  # inside a stripped claim, "required" only describes the registry's record
        parent = lookup(schema, path[:-1]) or {}
        if path[-1] in parent.get("required", ()):
            problems.append(
                f"'never' claim {format_path(path)!r} must not be required: it is stripped at issuance"
            )


def _labels(
    raw: Any, policies: Mapping[ClaimPath, str], problems: list[str]
) -> dict[ClaimPath, dict[Lang, str]]:
    if not isinstance(raw, Mapping):
        problems.append("'labels' must be an object with 'ko', 'en' and 'claims'")
        return {}
    problems += [f"'labels' needs a non-empty {lang!r} title" for lang in _LANGS if not _text(raw.get(lang))]
    given = _path_map(raw.get("claims"), "labels.claims", None, problems)
    labels: dict[ClaimPath, dict[Lang, str]] = {}
    for path in policies:
        entry = given.get(path)
        inside_never = len(path) > 1 and policies.get(path[:-1]) == "never"
        if isinstance(entry, Mapping) and all(_text(entry.get(lang)) for lang in _LANGS):
            labels[path] = {lang: entry[lang] for lang in _LANGS}
        elif inside_never and entry is None:
            labels[path] = {lang: format_path(path) for lang in _LANGS}
        else:
            problems.append(f"claim {format_path(path)!r} needs labels in 'ko' and 'en'")
    problems += [
        f"label for {format_path(p)!r}, which is not a claim of the schema"
        for p in given
        if p not in policies
    ]
    return labels


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _path_map(
    raw: Any, what: str, schema: Mapping[str, Any] | None, problems: list[str]
) -> dict[ClaimPath, Any]:
    if not isinstance(raw, Mapping):
        problems.append(f"'{what}' must be an object keyed by claim path")
        return {}
    out: dict[ClaimPath, Any] = {}
    for text, value in raw.items():
        try:
            path = parse_path(text)
        except ValueError as exc:
            problems.append(f"'{what}': {exc}")
            continue
        if any(isinstance(step, int) for step in path) or (
            schema is not None and lookup(schema, path) is None
        ):
            problems.append(f"'{what}' names {text!r}, which is not a claim of the schema")
            continue
        out[path] = value
    return out


def _derived(
    raw: Any, schema: Mapping[str, Any], policies: Mapping[ClaimPath, str], problems: list[str]
) -> list[DerivedClaim]:
    if not isinstance(raw, list):
        problems.append("'derived' must be a list")
        return []
    rules = []
    for entry in raw:
        rule = _derived_rule(entry, schema, policies, problems)
        if rule is not None:
            rules.append(rule)
    return rules


def _derived_rule(
    entry: Any, schema: Mapping[str, Any], policies: Mapping[ClaimPath, str], problems: list[str]
) -> DerivedClaim | None:
    if not isinstance(entry, Mapping) or entry.get("rule") != "age_over" or set(entry) != _DERIVED_KEYS:
        problems.append(f"derived claim {entry!r} must be {{claim, rule: 'age_over', from, years}}")
        return None
    claim, source_text, years = entry["claim"], entry["from"], entry["years"]
    source = _date_source(source_text, schema)
    mine: list[str] = []
    if not isinstance(claim, str) or (lookup(schema, (claim,)) or {}).get("type") != "boolean":
        mine.append(f"derived claim {claim!r} must be a top-level boolean claim of the schema")
    elif policies.get((claim,)) != "selective":
        mine.append(f"derived claim {claim!r} must be 'selective': its point is proving it alone")
    if source is None:
        mine.append(
            f"derived claim {claim!r}: 'from' must name a date claim outside arrays, not {source_text!r}"
        )
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= 150:
        mine.append(f"derived claim {claim!r}: 'years' must be a whole number from 1 to 150")
    problems += mine
    if mine or source is None:
        return None
    return DerivedClaim(claim=claim, rule="age_over", source=source, years=years)


def _date_source(text: Any, schema: Mapping[str, Any]) -> ClaimPath | None:
    try:
        path = parse_path(text) if isinstance(text, str) else None
    except ValueError:
        return None
    if path is None or any(not isinstance(step, str) for step in path):
        return None
    return path if (lookup(schema, path) or {}).get("format") == "date" else None
