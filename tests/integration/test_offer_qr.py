"""The offer link as a QR code a phone's wallet can scan."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import segno

Invoke = Callable[..., Any]


def test_offer_writes_its_link_as_a_qr_code(tmp_path: Path, invoke: Invoke) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    svg, png = tmp_path / "offer.svg", tmp_path / "offer.png"
    made = invoke(
        "agency",
        "offer",
        "--kind",
        "resident-register-copy",
        "--citizen",
        "C0001",
        "--json",
        "--qr",
        str(svg),
        *data,
    )
    assert made.code == 0, made.stderr
    link = json.loads(made.stdout)["link"]
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    # The code holds exactly the printed link: encoding that link again gives the same picture.
    expected = tmp_path / "expected.svg"
    segno.make(link, error="m", micro=False).save(str(expected), scale=4, border=4)
    assert svg.read_bytes() == expected.read_bytes()
    again = invoke(
        "agency", "offer", "--kind", "resident-register-copy", "--citizen", "C0001", "--qr", str(png), *data
    )
    assert again.code == 0, again.stderr
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    refused = invoke(
        "agency",
        "offer",
        "--kind",
        "resident-register-copy",
        "--citizen",
        "C0001",
        "--qr",
        str(tmp_path / "x.gif"),
        *data,
    )
    assert refused.code == 2
    assert ".svg or .png" in refused.stderr
