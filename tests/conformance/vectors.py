"""Loaders for the vectors under tests/assets: data in, Python values out; nothing is computed here."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives.asymmetric import ec

from dojang.core.crypto import Rng, SigningKey, verify_key_from_jwk
from dojang.core.encoding import b64url_decode
from dojang.core.sdjwt import ClaimPath

__all__ = [
    "ASSETS",
    "CASES",
    "Sd",
    "case_names",
    "fixed_rng",
    "holder_paths",
    "load_case",
    "load_json",
    "load_settings",
    "public_jwk",
    "signing_key_from_jwk",
    "split_sd",
    "unsupported_cases",
]

ASSETS = Path(__file__).resolve().parent.parent / "assets"
CASES = ASSETS / "sd-jwt-python" / "testcases"


def load_json(relative: str) -> Any:
    return json.loads((ASSETS / relative).read_text(encoding="utf-8"))


def fixed_rng(seed: int) -> Rng:
    """A deterministic byte source so that every run issues the same credential."""
    return random.Random(seed).randbytes


def public_jwk(jwk: Mapping[str, Any]) -> dict[str, Any]:
    return {name: jwk[name] for name in ("kty", "crv", "x", "y")}


def signing_key_from_jwk(jwk: Mapping[str, Any]) -> SigningKey:
    """Import a private P-256 JWK (with ``d``); dojang's API has no importer for these yet."""
    public = verify_key_from_jwk(public_jwk(jwk))
    scalar = int.from_bytes(b64url_decode(jwk["d"], what="JWK member 'd'"), "big")
    private = ec.derive_private_key(scalar, ec.SECP256R1())
    key = SigningKey(alg="ES256", kid=public.kid, public=public, _key=private)
    assert key.private_jwk() == {**public.jwk, "d": jwk["d"]}
    return key


@dataclass(frozen=True, slots=True)
class Sd:
    """A value or key tagged ``!sd`` in an sd-jwt-python specification: selectively disclosable."""

    value: Any


class _SpecLoader(yaml.SafeLoader):
    """YAML with the ``!sd`` tag of sd-jwt-python's specification files."""


def _construct_sd(loader: yaml.SafeLoader, node: yaml.Node) -> Sd:
    # Re-read the node with the type it would have had without the tag.
    if isinstance(node, yaml.ScalarNode):
        tag = (
            "tag:yaml.org,2002:str"
            if node.style in ("'", '"')
            else loader.resolve(yaml.ScalarNode, node.value, (True, False))
        )
        plain: yaml.Node = yaml.ScalarNode(tag, node.value, node.start_mark, node.end_mark, node.style)
    elif isinstance(node, yaml.SequenceNode):
        plain = yaml.SequenceNode("tag:yaml.org,2002:seq", node.value, node.start_mark, node.end_mark)
    else:
        assert isinstance(node, yaml.MappingNode)
        plain = yaml.MappingNode("tag:yaml.org,2002:map", node.value, node.start_mark, node.end_mark)
    return Sd(loader.construct_object(plain, deep=True))


_SpecLoader.add_constructor("!sd", _construct_sd)


def case_names() -> list[str]:
    return sorted(p.parent.name for p in CASES.glob("*/specification.yml"))


def load_case(name: str) -> dict[str, Any]:
    # _SpecLoader is a SafeLoader that also knows the !sd tag.
    text = (CASES / name / "specification.yml").read_text(encoding="utf-8")
    spec = yaml.load(text, Loader=_SpecLoader)
    assert isinstance(spec, dict)
    return spec


def load_settings() -> dict[str, Any]:
    settings = yaml.safe_load((ASSETS / "sd-jwt-python" / "settings.yml").read_text(encoding="utf-8"))
    assert isinstance(settings, dict)
    return settings


def unsupported_cases() -> dict[str, str]:
    listed = yaml.safe_load((ASSETS / "sd-jwt-python" / "unsupported.yml").read_text(encoding="utf-8"))
    assert isinstance(listed, dict)
    return listed


def split_sd(claims: Any) -> tuple[Any, list[ClaimPath]]:
    """The claims without ``!sd`` tags, and the claim path of every tagged key or array element."""
    paths: list[ClaimPath] = []

    def walk(value: Any, path: ClaimPath) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, sub in value.items():
                assert not isinstance(sub, Sd), f"!sd on a mapping value at {path}: tag the key instead"
                name = key.value if isinstance(key, Sd) else key
                if isinstance(key, Sd):
                    paths.append((*path, name))
                out[name] = walk(sub, (*path, name))
            return out
        if isinstance(value, list):
            items = []
            for index, item in enumerate(value):
                if isinstance(item, Sd):
                    paths.append((*path, index))
                    item = item.value  # noqa: PLW2901 - unwrap the tagged element in place
                items.append(walk(item, (*path, index)))
            return items
        assert not isinstance(value, Sd)
        return value

    return walk(claims, ()), paths


def holder_paths(disclosed: Any, path: ClaimPath = ()) -> list[ClaimPath]:
    """sd-jwt-python's ``holder_disclosed_claims`` as claim paths: one per claim marked true.

    dojang adds the parents a path needs; a true on an object or array discloses all inside it.
    """
    if disclosed is True:
        return [path]
    if isinstance(disclosed, dict):
        return [p for key, sub in disclosed.items() for p in holder_paths(sub, (*path, key))]
    if isinstance(disclosed, list):
        return [p for index, sub in enumerate(disclosed) for p in holder_paths(sub, (*path, index))]
    return []
