"""`dojang bench`: every row is measured and reported in the DESIGN.md §5 shape; speeds are never asserted."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import pytest
from click.testing import CliRunner

from dojang.cli._bench import ALL_ROWS, BASELINES, REFERENCE_OF, bench, reference_available, run_bench, table
from dojang.cli._bench_log import ANCHOR_INTERVAL_S, LOG_ROWS
from dojang.errors import InputError

REQUIRED = ("es256_sign_raw", "es256_verify_raw", "sdjwt_issue", "sdjwt_verify_kb")
CREDENTIAL_ROWS = ("sdjwt_issue", "sdjwt_verify_kb", "verifier_pipeline_kb")
REFERENCE_ROWS = ("ref_sdjwt_issue", "ref_sdjwt_verify_kb")


SMALL_LOG = 3_000
COMPUTED = ("log_audit", "anchor_tx_per_million_issuances")


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return run_bench(seconds=0.2, cores=[1], proof_log=SMALL_LOG, audit_entries=SMALL_LOG)


def test_every_row_is_measured_once_on_one_core(rows: list[dict[str, Any]]) -> None:
    names = [row["name"] for row in rows]
    expected = [name for name in BASELINES if reference_available() or name not in REFERENCE_ROWS]
    assert names == [*expected, *LOG_ROWS, *COMPUTED, "bulk_issue"]
    assert set(REQUIRED) <= set(names)
    assert all(row["cores"] == 1 for row in rows)


def test_rates_are_positive_floats(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        assert isinstance(row["ops_per_s"], float)
        assert row["ops_per_s"] > 0
        assert row.get("computed") or row["ops"] > 0


def test_rows_are_quoted_against_raw_es256_and_the_reference(rows: list[dict[str, Any]]) -> None:
    by_name = {row["name"]: row for row in rows}
    for row in rows:
        if row["name"] not in BASELINES:
            assert "ratio" not in row
            continue
        if BASELINES[row["name"]] == row["name"]:
            assert row["ratio"] == 1.0
            continue
        # Quoted against the baseline measured in alternating slices with it, not the separate row.
        assert row["base_per_s"] > 0
        # The bench rounds ratios to 4 decimals: they agree to within half of the last digit.
        assert row["ratio"] == pytest.approx(row["ops_per_s"] / row["base_per_s"], abs=5e-5)
    for name, ref in REFERENCE_OF.items():
        assert ("vs_ref" in by_name[name]) == (ref in by_name)


def test_credential_rows_report_the_household_disclosures(rows: list[dict[str, Any]]) -> None:
    by_name = {row["name"]: row for row in rows}
    counts = {by_name[name]["disclosures"] for name in CREDENTIAL_ROWS if name in by_name}
    counts |= {by_name[name]["disclosures"] for name in REFERENCE_ROWS if name in by_name}
    # One credential for every row: a four-member household, every personal claim its own disclosure.
    assert len(counts) == 1
    assert counts.pop() >= 20


def test_table_has_a_line_per_row(rows: list[dict[str, Any]]) -> None:
    lines = table(rows)
    for row in rows:
        assert any(line.startswith(row["name"]) for line in lines)


def test_json_output_has_the_contract_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    canned = [{"name": "es256_sign_raw", "cores": 1, "ops_per_s": 1000.0, "ratio": 1.0}]
    monkeypatch.setattr("dojang.cli._bench.run_bench", lambda seconds, cores, **_: canned)
    result = CliRunner().invoke(bench, ["--json", "--seconds", "0.1", "--cores", "1"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert isinstance(document["results"], list)
    for row in document["results"]:
        assert isinstance(row["name"], str)
        assert isinstance(row["cores"], int)
        assert isinstance(row["ops_per_s"], float)


def test_json_mode_prints_only_json_on_stdout() -> None:
    only = [arg for name in REQUIRED for arg in ("--only", name)]
    result = CliRunner().invoke(bench, ["--json", "--seconds", "0.05", "--cores", "1", *only])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert {row["name"] for row in document["results"]} == set(REQUIRED)
    assert "measuring sdjwt_issue" in result.stderr


@pytest.mark.parametrize(("seconds", "cores"), [(0.0, [1]), (0.1, []), (0.1, [0])])
def test_bad_arguments_are_input_errors(seconds: float, cores: list[int]) -> None:
    with pytest.raises(InputError):
        run_bench(seconds, cores)


def test_without_the_reference_package_its_rows_are_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dojang.cli._bench.reference_available", lambda: False)
    rows = run_bench(seconds=0.05, cores=[1], only=list(BASELINES))
    assert {row["name"] for row in rows} == set(BASELINES) - set(REFERENCE_ROWS)
    assert all("vs_ref" not in row for row in rows)


def test_the_bench_module_does_not_import_the_reference_package() -> None:
    code = "import sys, dojang.cli._bench; assert not {'sd_jwt', 'jwcrypto'} & set(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_log_rows_count_leaves_and_proofs(rows: list[dict[str, Any]]) -> None:
    by_name = {row["name"]: row for row in rows}
    integrate = by_name["log_integrate"]
    assert integrate["ops"] % integrate["batch"] == 0
    assert integrate["append_per_s"] > 0
    assert by_name["log_integrate_core"]["ops"] % 10_000 == 0
    assert by_name["log_inclusion_proof"]["log_size"] == SMALL_LOG
    for name in LOG_ROWS:
        assert by_name[name]["cores"] == 1


def test_log_audit_reports_time_and_peak_memory(rows: list[dict[str, Any]]) -> None:
    audit = next(row for row in rows if row["name"] == "log_audit")
    assert audit["ops"] == SMALL_LOG
    assert audit["seconds"] > 0
    assert SMALL_LOG / audit["ops_per_s"] == pytest.approx(audit["seconds"], abs=0.001)  # seconds rounded
    assert audit["peak_rss_mb"] >= audit["start_rss_mb"] > 0


def test_anchoring_row_is_set_by_the_interval(rows: list[dict[str, Any]]) -> None:
    issue = next(row for row in rows if row["name"] == "sdjwt_issue")
    anchor = next(row for row in rows if row["name"] == "anchor_tx_per_million_issuances")
    assert anchor["interval_s"] == ANCHOR_INTERVAL_S
    assert anchor["ops_per_s"] == pytest.approx(1 / ANCHOR_INTERVAL_S)
    seconds = 1_000_000 / issue["ops_per_s"]
    assert anchor["tx_per_million"] == math.ceil(seconds / ANCHOR_INTERVAL_S)


def test_only_runs_the_named_rows_and_log_rows_on_one_core() -> None:
    rows = run_bench(0.05, [2], only=["es256_sign_raw", "log_integrate_core"])
    assert [(row["name"], row["cores"]) for row in rows] == [("es256_sign_raw", 2), ("log_integrate_core", 1)]


def test_an_unknown_row_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no bench row"):
        run_bench(0.05, [1], only=["nope"])


def test_only_option_on_the_command_line() -> None:
    result = CliRunner().invoke(
        bench, ["--json", "--seconds", "0.05", "--only", "log_integrate_core", "--only", "es256_sign_raw"]
    )
    assert result.exit_code == 0, result.output
    names = [row["name"] for row in json.loads(result.stdout)["results"]]
    assert sorted(set(names)) == ["es256_sign_raw", "log_integrate_core"]
    assert set(ALL_ROWS) >= set(names)


def test_bulk_issue_row_counts_a_whole_job(rows: list[dict[str, Any]]) -> None:
    bulk = next(row for row in rows if row["name"] == "bulk_issue")
    assert bulk["ops"] == 500
    assert bulk["cores"] == 1
    assert bulk["seconds"] > 0
