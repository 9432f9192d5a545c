"""Status indexes allocated by several processes at once, on every backend, and through ``kill -9``.

Real processes (``python -c``) issue through ``StatusLists.allocate`` with a few threads each, all on
one agency, starting together so that they race to open its lists. Each prints a JSON line per
credential it handed out. Whatever the interleaving: no process is refused, every index handed out is
recorded under its credential, and no index is handed out twice, not even across a crash. No timing
is asserted; the races each process lost are printed (``lost_races``) and only reported.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from dojang.adapters.storage import open_status_store
from dojang.core.log import credential_digest
from dojang.core.status import DEFAULT_SIZE, CredentialRecord
from dojang.roles.issuer import FULL_AT

ISS = "https://issuer.example/agencies/demo"

_SCRIPT = textwrap.dedent(
    """
    import base64, json, os, signal, sys, threading
    from dojang.adapters.storage import open_status_store
    from dojang.core.log import credential_digest
    from dojang.roles.issuer import StatusLists

    location, schema, iss, tag = sys.argv[1:5]
    size, threads, each = (int(arg) for arg in sys.argv[5:8])
    crash, crash_at = sys.argv[8], int(sys.argv[9])
    seen, out = [0], threading.Lock()

    def step(name):
        if name == crash:
            seen[0] += 1
            if seen[0] == crash_at:
                os.kill(os.getpid(), signal.SIGKILL)

    store = open_status_store(location, schema=schema)
    lists = StatusLists(store, "https://status.example", os.urandom, size=size, step=step)

    def fake_credential(name):  # the shape of a compact SD-JWT is all a credential digest needs
        body = base64.urlsafe_b64encode(name.encode()).decode().rstrip("=")
        return "eyJhbGciOiJFUzI1NiJ9." + body + ".c2ln~"

    def issue(thread):
        for n in range(each):
            name = f"{tag}/{thread}/{n}"
            sd_jwt, record = lists.allocate(iss, 1_780_000_000, lambda ref: fake_credential(name))
            assert record.digest == credential_digest(sd_jwt)
            with out:
                print(json.dumps({"name": name, "list": record.list_id, "idx": record.idx}), flush=True)

    workers = [threading.Thread(target=issue, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(json.dumps({"lost_races": lists.lost_races}), flush=True)
    store.close()
    """
)


@dataclass(frozen=True)
class Issued:
    name: str
    list_id: str
    idx: int

    @property
    def record(self) -> CredentialRecord:
        return CredentialRecord(credential_digest(_fake_credential(self.name)), self.list_id, self.idx, ISS)


def _fake_credential(name: str) -> str:
    """What the script signs for ``name``: the same text gives the same digest here."""
    return "eyJhbGciOiJFUzI1NiJ9." + base64.urlsafe_b64encode(name.encode()).decode().rstrip("=") + ".c2ln~"


def _start(
    location: tuple[str, str], tag: str, *, size: int, threads: int, each: int, crash: str = "", at: int = 0
) -> subprocess.Popen[bytes]:
    args = [location[0], location[1], ISS, tag, str(size), str(threads), str(each), crash, str(at)]
    return subprocess.Popen(
        [sys.executable, "-c", _SCRIPT, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _finish(processes: Sequence[subprocess.Popen[bytes]], *, killed: bool = False) -> list[Issued]:
    issued: list[Issued] = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == (-9 if killed else 0), stderr.decode()
        for line in stdout.decode().splitlines():
            row = json.loads(line)
            if "name" in row:
                issued.append(Issued(row["name"], row["list"], row["idx"]))
    return issued


def _used(bitmap: bytes, size: int) -> set[int]:
    return {idx for idx in range(size) if bitmap[idx >> 3] >> (idx & 7) & 1}


def _check_recorded_once(location: tuple[str, str], issued: Sequence[Issued]) -> None:
    """Every credential handed out is recorded with its index; no index of a list was handed out twice."""
    assert len({(i.list_id, i.idx) for i in issued}) == len(issued)
    with open_status_store(location[0], schema=location[1]) as store:
        for credential in issued:
            assert store.credential(credential.record.digest) == credential.record
        for stored in store.lists(ISS):
            assert stored.allocated == len(_used(stored.used, stored.size))
            assert {i.idx for i in issued if i.list_id == stored.id} <= _used(stored.used, stored.size)


def test_processes_and_threads_issuing_at_once_from_a_new_agency(location: tuple[str, str]) -> None:
    processes = [_start(location, f"p{n}", size=DEFAULT_SIZE, threads=2, each=15) for n in range(3)]
    issued = _finish(processes)
    assert len(issued) == 3 * 2 * 15  # nobody was refused, though all raced to open the first list
    _check_recorded_once(location, issued)
    with open_status_store(location[0], schema=location[1]) as store:
        assert [s.id for s in store.lists(ISS)] == ["demo-1"]
        assert len(store.snapshots("demo-1")) == 1  # opened once, with its first snapshot


def test_small_lists_filling_past_their_threshold_open_the_next_without_refusing(
    location: tuple[str, str],
) -> None:
    size = 32
    processes = [_start(location, f"p{n}", size=size, threads=2, each=15) for n in range(3)]
    issued = _finish(processes)
    assert len(issued) == 90
    _check_recorded_once(location, issued)
    with open_status_store(location[0], schema=location[1]) as store:
        stored = store.lists(ISS)
        assert [s.id for s in stored] == [f"demo-{n}" for n in range(1, len(stored) + 1)]
        assert len(stored) >= 90 // int(size * FULL_AT)
        assert all(s.allocated <= size * FULL_AT for s in stored)
        assert all(len(store.snapshots(s.id)) == 1 for s in stored)


@pytest.mark.parametrize("step", ["reserved", "signed", "recorded"])
def test_kill_9_while_allocating_loses_nothing_and_hands_nothing_out_twice(
    location: tuple[str, str], step: str
) -> None:
    size = 64
    # Blocks of 1, 2 and 4 indexes are reserved by the 4th credential; the process dies on it.
    before = _finish([_start(location, "dead", size=size, threads=1, each=10, crash=step, at=4)], killed=True)
    assert [i.name for i in before] == ["dead/0/0", "dead/0/1", "dead/0/2"]
    with open_status_store(location[0], schema=location[1]) as store:
        (stored,) = store.lists(ISS)
        held_by_the_dead = _used(stored.used, size)
        fourth = credential_digest(_fake_credential("dead/0/3"))
        assert (store.credential(fourth) is not None) is (step == "recorded")  # committed, not printed
    assert len(held_by_the_dead) == 7
    after = _finish([_start(location, "alive", size=size, threads=1, each=30)])
    assert not {i.idx for i in after} & held_by_the_dead  # the dead process's indexes stay used
    _check_recorded_once(location, [*before, *after])
