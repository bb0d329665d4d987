"""bench/bench_peer.py without network or servers: its arguments, its table and the project it generates."""

from __future__ import annotations

import importlib.util
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_peer", REPO / "bench" / "bench_peer.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_peer"] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


bench_peer = _load()


def test_defaults_are_the_published_run() -> None:
    args = bench_peer.parse_args([])
    assert (args.tickets, args.rounds, args.seconds, args.concurrency, args.workers) == (10_000, 3, 3.0, 8, 2)
    assert args.peer_version == "2.6.1"
    assert args.postgres == "postgres://postgres@127.0.0.1:5432"


@pytest.mark.parametrize("argv", [
    ["--postgres", "postgres://postgres@db.example.com:5432"],
    ["--seconds", "0"],
    ["--tickets", "5"],
    ["--warmup", "-1"],
])
def test_rejects_remote_servers_and_empty_runs(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        bench_peer.parse_args(argv)


def test_table_gives_otklik_throughput_over_the_peers() -> None:
    peer = bench_peer.Result(done=10, seconds=2.0, latencies=[100.0] * 9 + [400.0])
    ours = bench_peer.Result(done=30, seconds=2.0, latencies=[20.0] * 30)
    failed = bench_peer.Result(errors=3, seconds=2.0)
    table = bench_peer.format_table([("create", peer, ours), ("search", failed, ours)])
    create_line, search_line = table.splitlines()[2:]
    assert create_line.startswith("create") and create_line.endswith("3.00x")
    assert "5.0/s" in create_line and "p95    400" in create_line and "15.0/s" in create_line
    assert "(3 err)" in search_line and search_line.endswith("n/a")
    markdown = bench_peer.markdown_table([("create", peer, ours)])
    assert markdown.splitlines()[2].endswith("| 3.00× |")


def test_percentile_of_nothing_is_not_a_number() -> None:
    assert bench_peer.percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert bench_peer.percentile([], 0.95) != bench_peer.percentile([], 0.95)  # NaN


def test_generated_peer_project_is_valid_python_on_its_own_database(tmp_path: Path) -> None:
    bench_peer.write_peer_project(tmp_path, "postgres://postgres@127.0.0.1:5432")
    settings = (tmp_path / "peerproj" / "settings.py").read_text()
    namespace: dict[str, object] = {}
    exec(compile(settings, "settings.py", "exec"), namespace)  # noqa: S102 - text this module just wrote
    database = namespace["DATABASES"]["default"]  # type: ignore[index]
    assert (database["NAME"], database["HOST"], database["PORT"]) == ("peer_helpdesk", "127.0.0.1", "5432")
    for name in ("urls.py", "asgi.py"):
        compile((tmp_path / "peerproj" / name).read_text(), name, "exec")
    compile((tmp_path / "load_peer.py").read_text(), "load_peer.py", "exec")
    compile((tmp_path / "peer_mail.py").read_text(), "peer_mail.py", "exec")


def test_workload_choice_and_database_names_are_checked() -> None:
    args = bench_peer.parse_args(["--only", "email", "--db-prefix", "otklik_x_peer", "--mail-messages", "20"])
    assert (args.only, args.db_prefix, args.mail_messages) == ("email", "otklik_x_peer", 20)
    for argv in (["--only", "emails"], ["--db-prefix", "Peer; DROP"], ["--mail-messages", "-1"]):
        with pytest.raises(SystemExit):
            bench_peer.parse_args(argv)


def test_mail_workload_is_half_requests_half_replies_to_them(tmp_path: Path) -> None:
    from email import message_from_bytes

    bench_peer.mail_workload(tmp_path, 6, "t1")
    messages = [message_from_bytes(path.read_bytes()) for path in sorted(tmp_path.iterdir())]
    assert len(messages) == 6
    requests, replies = messages[0::2], messages[1::2]
    assert all(message["In-Reply-To"] is None for message in requests)
    for request, reply in zip(requests, replies, strict=True):
        assert reply["In-Reply-To"] == request["Message-ID"]
        assert reply["From"].split("<")[1] == request["From"].split("<")[1]
        assert reply["Subject"] == f"Re: {request['Subject']}"
    assert len({message["Message-ID"] for message in messages}) == 6


def test_worker_split_says_how_the_server_cpu_fell_on_its_workers() -> None:
    # One worker took every connection (its CPU grew), the other and the idle helper process did not.
    assert bench_peer.worker_split({10: 1.0, 11: 2.0, 12: 0.0}, {10: 4.0, 11: 2.0, 12: 0.0}) == "100%"
    assert bench_peer.worker_split({10: 1.0, 11: 2.0}, {10: 2.5, 11: 3.5}) == "50/50%"
    assert bench_peer.worker_split({10: 1.0}, {10: 1.0}) == "-"


def test_connections_are_spread_over_the_servers_in_turn() -> None:
    """One port per worker: each connection keeps to one server, and the servers get equal shares."""
    used: list[str] = []

    async def action(client: object) -> bool:
        used.append(str(client.base_url).rstrip("/"))  # type: ignore[attr-defined]
        await bench_peer.asyncio.sleep(0)  # a request's wait: the connections take turns
        return True

    urls = ["http://127.0.0.1:1", "http://127.0.0.1:2"]
    # In a thread of its own: a test run before this one in the worker may have left an event loop running here.
    with ThreadPoolExecutor(max_workers=1) as pool:
        result = pool.submit(bench_peer.asyncio.run, bench_peer.run_load(urls, {}, {}, action, 4, 0.05)).result()
    assert result.done > 8 and result.errors == 0
    assert sorted(used[:4]) == sorted(urls * 2)  # the warm-up: two connections to each server
    timed = used[4:]
    assert abs(timed.count(urls[0]) - timed.count(urls[1])) <= 2 and set(timed) == set(urls)


def test_free_ports_are_distinct_and_not_taken() -> None:
    taken = bench_peer.free_ports(2)
    more = bench_peer.free_ports(3, taken=taken)
    assert len(set(taken)) == 2 and len(set(more)) == 3 and not set(taken) & set(more)
