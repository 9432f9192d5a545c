"""C2SP signed-note, tlog-checkpoint, tlog-proof and tlog-tiles against published examples."""

from __future__ import annotations

import pytest
from log_support import b64, load, signer_key_from_go

from dojang.core.log import (
    Checkpoint,
    NoteSigner,
    TileKey,
    TilePath,
    edge_tiles,
    entries_path,
    open_note,
    parse_checkpoint_text,
    parse_note,
    parse_tile_path,
    parse_tlog_proof,
    parse_verifier_key,
    sign_note,
    tile_path,
    tile_width,
)
from dojang.errors import InputError, MalformedError, VerificationError

NOTE = load("c2sp/sumdb-note.json")
SPEC = load("c2sp/spec-examples.json")
TILES = load("c2sp/tlog-tiles.json")


def test_verifier_key_round_trips() -> None:
    peter = parse_verifier_key(NOTE["peter_verifier_key"])
    assert (peter.name, peter.key_id.hex()) == ("PeterNeumann", "c74f20a3")
    assert peter.key_string() == NOTE["peter_verifier_key"]


@pytest.mark.parametrize("bad", NOTE["bad_verifier_keys"])
def test_bad_verifier_keys(bad: str) -> None:
    with pytest.raises(MalformedError):
        parse_verifier_key(bad)


def test_every_mangled_verifier_key_is_refused() -> None:
    key = NOTE["peter_verifier_key"]
    for i in range(len(key)):
        mangled = key[:i] + chr(ord(key[i]) + 1) + key[i + 1 :]
        with pytest.raises(MalformedError):
            parse_verifier_key(mangled)
        with pytest.raises(MalformedError):
            parse_verifier_key(key[:i])


def test_signing_reproduces_the_published_note() -> None:
    name, key = signer_key_from_go(NOTE["peter_signer_key"])
    signer = NoteSigner(name, key)
    assert signer.verifier.key_string() == NOTE["peter_verifier_key"]
    assert sign_note(NOTE["text"], [signer]).decode() == NOTE["signed_by_peter"]


def test_open_published_note() -> None:
    peter = parse_verifier_key(NOTE["peter_verifier_key"])
    note, verified = open_note(NOTE["signed_by_peter"].encode(), [peter])
    assert note.text == NOTE["text"]
    assert [v.name for v in verified] == ["PeterNeumann"]


def test_known_and_unknown_signatures() -> None:
    peter = parse_verifier_key(NOTE["peter_verifier_key"])
    enoch = parse_verifier_key(NOTE["enoch_verifier_key"])
    case = NOTE["known_and_unknown"]
    _, verified = open_note(case["note"].encode(), [peter])
    assert [v.name for v in verified] == case["verified"]
    both = NOTE["text"] + "\n" + NOTE["peter_signature_line"] + NOTE["enoch_signature_line"]
    _, verified = open_note(both.encode(), [peter, enoch])
    assert [v.name for v in verified] == ["PeterNeumann", "EnochRoot"]
    with pytest.raises(VerificationError) as err:
        open_note(both.encode(), [])
    assert err.value.check == "checkpoint-signature"


def test_invalid_signature_by_a_known_key_rejects_the_note() -> None:
    peter = parse_verifier_key(NOTE["peter_verifier_key"])
    with pytest.raises(VerificationError) as err:
        open_note(NOTE["invalid_signature_for_known_key"].encode(), [peter])
    assert err.value.check == "checkpoint-signature"


@pytest.mark.parametrize(
    "data",
    [m.encode() for m in NOTE["malformed_notes"]] + [bytes.fromhex(h) for h in NOTE["malformed_notes_hex"]],
)
def test_malformed_notes(data: bytes) -> None:
    peter = parse_verifier_key(NOTE["peter_verifier_key"])
    with pytest.raises(MalformedError):
        open_note(data, [peter])


def test_too_many_signatures() -> None:
    peter = parse_verifier_key(NOTE["peter_verifier_key"])
    data = NOTE["text"] + "\n" + NOTE["peter_signature_line"] * 101
    with pytest.raises(MalformedError):
        open_note(data.encode(), [peter])
    sixteen = NOTE["text"] + "\n" + NOTE["peter_signature_line"] * 16
    open_note(sixteen.encode(), [peter])


def test_spec_signed_note_parses_and_its_unknown_key_is_not_trusted() -> None:
    example = SPEC["signed_note"]
    note = parse_note(example["note"].encode())
    assert note.text == example["text"]
    assert [s.name for s in note.signatures] == [example["signature_name"]]
    name, key = signer_key_from_go(NOTE["peter_signer_key"])
    with pytest.raises(VerificationError):
        open_note(example["note"].encode(), [NoteSigner(name, key).verifier])


def test_spec_checkpoint_parses() -> None:
    example = SPEC["checkpoint"]
    note = parse_note(example["note"].encode())
    checkpoint = parse_checkpoint_text(note.text)
    assert checkpoint == Checkpoint(example["origin"], example["size"], b64(example["root_b64"]))
    assert checkpoint.text() == note.text


def test_spec_tlog_proof_parses() -> None:
    example = SPEC["tlog_proof"]
    hashes = "\n".join(example["hashes_b64"])
    head = f"{example['header']}\nextra {example['extra_b64']}\nindex {example['index']}\n{hashes}\n\n"
    proof = parse_tlog_proof(head.encode() + example["checkpoint_text"].encode())
    assert proof.index == example["index"]
    assert proof.hashes == tuple(b64(h) for h in example["hashes_b64"])
    assert proof.extra == b64(example["extra_b64"])
    assert proof.checkpoint == example["checkpoint_text"].encode()
    assert proof.encode() == head.encode() + proof.checkpoint


@pytest.mark.parametrize("case", SPEC["tlog_proof_malformed"]["cases"], ids=lambda c: c["name"])
def test_malformed_tlog_proofs(case: dict[str, str]) -> None:
    with pytest.raises(InputError):
        parse_tlog_proof(case["proof"].encode())


@pytest.mark.parametrize("case", TILES["paths"]["cases"], ids=lambda c: c["path"])
def test_tile_paths(case: dict[str, int | str | None]) -> None:
    level, index, width = case["level"], int(str(case["index"])), int(str(case["width"]))
    path = str(case["path"])
    made = entries_path(index, width) if level is None else tile_path(TileKey(int(str(level)), index), width)
    assert made == path
    assert parse_tile_path(path) == TilePath(None if level is None else int(str(level)), index, width)


@pytest.mark.parametrize("path", TILES["invalid_paths"]["cases"])
def test_invalid_tile_paths(path: str) -> None:
    with pytest.raises(MalformedError):
        parse_tile_path(path)


@pytest.mark.parametrize("case", TILES["sizes"]["cases"], ids=lambda c: str(c["size"]))
def test_tiles_of_a_size(case: dict[str, object]) -> None:
    size = int(str(case["size"]))
    widths = {str(k.level): w for k, w in edge_tiles(size).items()}
    assert widths == case["partial_widths"]
    full = case["full_tiles"]
    assert isinstance(full, dict)
    for level, count in full.items():
        assert tile_width(TileKey(int(level), count - 1), size) == 256
        assert tile_width(TileKey(int(level), count), size) == widths.get(level, 0)
