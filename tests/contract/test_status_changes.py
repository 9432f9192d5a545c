"""A status change survives ``kill -9`` at any step, on every backend: applied once and logged once.

A real process revokes a credential and SIGKILLs itself at a step (``StatusLists.step``): before the
change's transaction, or right after it commits and before it answers. A fresh process then asks
for the same revocation again. Whatever the step, the log holds exactly one status entry for the
credential and the list says REVOKED.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from dojang.adapters.storage import open_status_store, open_store
from dojang.core.log import CredentialStatus, StatusEntry, parse_entry
from dojang.core.status import CredentialRecord, StatusReason
from dojang.roles.issuer import StatusLists

ISS = "https://issuer.example/agencies/demo"
DIGEST = bytes(range(32))

_SCRIPT = textwrap.dedent(
    """
    import json, os, signal, sys
    from dojang.adapters.storage import open_status_store
    from dojang.core.log import CredentialStatus
    from dojang.core.status import StatusReason
    from dojang.roles.issuer import StatusLists

    location, schema, crash, digest = sys.argv[1:5]  # and the acting agency, sys.argv[5]

    def step(name):
        if name == crash:
            os.kill(os.getpid(), signal.SIGKILL)

    store = open_status_store(location, schema=schema)
    lists = StatusLists(store, "https://status.example", os.urandom, step=step)
    change = lists.change(
        bytes.fromhex(digest), CredentialStatus.REVOKED, StatusReason.LOST_OR_STOLEN,
        issuer=sys.argv[5], now=1_780_000_100,
    )
    print(json.dumps({"log_seq": change.log_seq, "repeated": change.repeated}))
    store.close()
    """
)


def _run(location: tuple[str, str], crash: str = "") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-c", _SCRIPT, location[0], location[1], crash, DIGEST.hex(), ISS],
        capture_output=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("step", ["checked", "saved"])
def test_kill_9_during_a_revocation_then_asking_again(location: tuple[str, str], step: str) -> None:
    with open_status_store(location[0], schema=location[1]) as store:
        lists = StatusLists(store, "https://status.example", bytes)
        stored = lists.current(ISS, 1_780_000_000)
        store.save_list(
            stored.id, version=stored.version, credential=CredentialRecord(DIGEST, stored.id, 7, ISS)
        )
    crashed = _run(location, crash=step)
    assert crashed.returncode == -9, crashed.stderr.decode()
    resumed = _run(location)
    assert resumed.returncode == 0, resumed.stderr.decode()
    answer = json.loads(resumed.stdout)
    assert answer["repeated"] is (step == "saved")  # committed before the kill: answered, not redone
    with open_store(location[0], schema=location[1]) as log:
        entries = [parse_entry(p.entry) for p in log.pending(100)]
    assert entries == [
        StatusEntry(DIGEST, CredentialStatus.REVOKED, StatusReason.LOST_OR_STOLEN, 1_780_000_100)
    ]
    with open_status_store(location[0], schema=location[1]) as store:
        lists = StatusLists(store, "https://status.example", bytes)
        assert lists.status_of(DIGEST)[1] is CredentialStatus.REVOKED
        assert len(store.snapshots("demo-1")) == 2  # the list's first, and the revocation's
        last = store.last_change(DIGEST)
        assert last is not None
        assert last.log_seq == answer["log_seq"]
