"""The LogAnchor contract as both backends see it: its artefact, call encoding, events, reverts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.crypto import keccak

from dojang.errors import InputError

__all__ = [
    "ANCHORED_TOPIC",
    "Artifact",
    "decode_anchored",
    "decode_record",
    "encode_anchor",
    "encode_latest",
    "encode_lookup",
    "load_artifact",
    "origin_hash",
    "revert_reason",
]

# The committed build of contracts/LogAnchor.sol (tools/build_contract.py writes both copies).
_ARTIFACT_PATH = Path(__file__).with_name("LogAnchor.json")
_RECORD = ["uint64", "uint64", "bytes32", "bytes32"]
_ERROR_STRING = keccak(text="Error(string)")[:4]
_ANCHOR = keccak(text="anchor(string,uint64,bytes32,bytes32)")[:4]
_LOOKUP = keccak(text="lookup(string,uint64)")[:4]
_LATEST = keccak(text="latest(string)")[:4]
ANCHORED_TOPIC = keccak(text="Anchored(bytes32,uint64,bytes32,bytes32)")


@dataclass(frozen=True, slots=True)
class Artifact:
    """The compiled contract: its ABI, creation bytecode and the compiler that made it."""

    abi: list[dict[str, Any]]
    bytecode: bytes
    compiler_version: str


@cache
def load_artifact() -> Artifact:
    data = json.loads(_ARTIFACT_PATH.read_text(encoding="utf-8"))
    return Artifact(
        abi=data["abi"],
        bytecode=bytes.fromhex(data["bytecode"].removeprefix("0x")),
        compiler_version=data["compiler"]["version"],
    )


def origin_hash(origin: str) -> bytes:
    """The contract's key for a log: keccak256 of the origin line's UTF-8 bytes."""
    return keccak(origin.encode("utf-8"))


def encode_anchor(origin: str, tree_size: int, root: bytes, note_hash: bytes) -> bytes:
    _check_origin(origin)
    if not 0 < tree_size < 2**64:
        raise InputError(f"tree size {tree_size} is outside 1 … 2^64-1")
    for name, value in (("root", root), ("note hash", note_hash)):
        if len(value) != 32:
            raise InputError(f"the {name} must be 32 bytes, got {len(value)}")
    return _ANCHOR + encode(["string", "uint64", "bytes32", "bytes32"], [origin, tree_size, root, note_hash])


def encode_lookup(origin: str, tree_size: int) -> bytes:
    _check_origin(origin)
    if not 0 <= tree_size < 2**64:
        raise InputError(f"tree size {tree_size} is outside 0 … 2^64-1")
    return _LOOKUP + encode(["string", "uint64"], [origin, tree_size])


def encode_latest(origin: str) -> bytes:
    _check_origin(origin)
    return _LATEST + encode(["string"], [origin])


def decode_record(output: bytes) -> tuple[int, int, bytes, bytes] | None:
    """(tree size, block number, root, note hash) from a lookup/latest call; None when absent."""
    size, block, root, note_hash = decode(_RECORD, output)
    return None if size == 0 else (size, block, root, note_hash)


def decode_anchored(data: bytes) -> tuple[int, bytes, bytes]:
    """(tree size, root, note hash) from the data of an ``Anchored`` event."""
    size, root, note_hash = decode(["uint64", "bytes32", "bytes32"], data)
    return size, root, note_hash


def revert_reason(output: bytes) -> str:
    """The message of a ``require(…, "message")`` revert, or the raw data in hex."""
    if output.startswith(_ERROR_STRING):
        try:
            (message,) = decode(["string"], output[4:])
        except Exception:  # noqa: BLE001 — any undecodable payload falls back to hex
            return "0x" + output.hex()
        return str(message)
    return "0x" + output.hex() if output else "reverted without a reason"


def _check_origin(origin: str) -> None:
    if not origin:
        raise InputError("the log origin must not be empty")
