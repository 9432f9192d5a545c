"""Verdicts and claims as lines a person reads, with the catalogue's ko/en labels."""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from typing import Any

from dojang.cli._messages import Lang, check_name, text
from dojang.core.catalogue import Catalogue, DocumentKind
from dojang.errors import DojangError
from dojang.roles.verifier import Verdict

__all__ = ["claim_lines", "iso_time", "verdict_lines"]

#: Registered claims shown with their own words, or not at all (the key is shown by the holder line).
_SHOWN = {"iss": "issuer", "iat": "issued_at", "exp": "expires_at"}
_HIDDEN = frozenset({"vct", "cnf", "nbf", "status", "_sd_alg"})


def verdict_lines(verdict: Verdict, catalogue: Catalogue, lang: Lang) -> Iterator[str]:
    """One line per check (✓/✗), the overall result, then the disclosed claims."""
    for check in verdict.checks:
        mark = "✓" if check.ok else "✗"
        yield f"{mark} {check_name(check.check, lang)}: {check.detail}"
    failed = verdict.failed
    if failed is not None:
        yield text("invalid", lang, check=failed.check)
        return
    yield text("valid", lang)
    kind = _kind(catalogue, verdict.vct)
    if kind is not None:
        yield f"{text('kind', lang)}: {kind.title(lang)} ({verdict.vct})"
    yield f"{text('disclosed', lang)}:"
    lines = list(claim_lines(verdict.claims, kind, lang))
    yield from lines or ["  " + text("none_disclosed", lang)]


def _kind(catalogue: Catalogue, vct: str | None) -> DocumentKind | None:
    if vct is None:
        return None
    try:
        return catalogue.get(vct)
    except DojangError:
        return None


def claim_lines(claims: Mapping[str, Any], kind: DocumentKind | None, lang: Lang) -> Iterator[str]:
    """Every claim as ``label: value``, nested claims indented under their parent."""
    for name, key in _SHOWN.items():
        if name in claims:
            yield f"  {text(key, lang)}: {_registered(name, claims[name])}"
    own = {name: value for name, value in claims.items() if name not in _SHOWN and name not in _HIDDEN}
    for name in _schema_order(kind, (), own):
        yield from _lines(own[name], (name,), kind, lang, 1)


def iso_time(seconds: int, zone: datetime.tzinfo = datetime.UTC) -> str:
    """Unix seconds as an ISO 8601 time to the second, in ``zone`` (UTC unless said)."""
    return datetime.datetime.fromtimestamp(seconds, zone).isoformat(timespec="seconds")


def _registered(name: str, value: Any) -> str:
    if name in ("iat", "exp") and isinstance(value, int) and not isinstance(value, bool):
        return iso_time(value)
    return str(value)


def _label(kind: DocumentKind | None, path: tuple[str | int, ...], lang: Lang) -> str:
    if kind is not None:
        try:
            label = kind.label(path, lang)
        except DojangError:
            pass
        else:
            return f"{label} {path[-1] + 1}" if isinstance(path[-1], int) else label
    return str(path[-1] + 1) if isinstance(path[-1], int) else str(path[-1])


def _lines(
    value: Any, path: tuple[str | int, ...], kind: DocumentKind | None, lang: Lang, depth: int
) -> Iterator[str]:
    pad = "  " * depth
    label = _label(kind, path, lang)
    if isinstance(value, Mapping | list) and not value:
        return  # an object or array whose every member was withheld
    if isinstance(value, Mapping):
        yield f"{pad}{label}:"
        for name in _schema_order(kind, path, value):
            yield from _lines(value[name], (*path, name), kind, lang, depth + 1)
    elif isinstance(value, list):
        yield f"{pad}{label}:"
        for index, sub in enumerate(value):
            yield from _lines(sub, (*path, index), kind, lang, depth + 1)
    else:
        yield f"{pad}{label}: {_scalar(value, lang)}"


def _schema_order(
    kind: DocumentKind | None, path: tuple[str | int, ...], value: Mapping[str, Any]
) -> list[str]:
    """Members in the order the kind declares them (disclosures arrive in digest order)."""
    if kind is None:
        return list(value)
    parent = tuple(None if isinstance(step, int) else step for step in path)
    order = {
        key[-1]: i for i, key in enumerate(kind.disclosure) if key[:-1] == parent and len(key) > len(parent)
    }
    return sorted(value, key=lambda name: order.get(name, len(order)))


def _scalar(value: Any, lang: Lang) -> str:
    if isinstance(value, bool):
        return text("yes" if value else "no", lang)
    return str(value)
