"""Memory soak: do the web processes stay small and flat under a long mixed load with zero errors?

    .venv/bin/python bench/bench_soak.py                       # 10 minutes after a 60 s capacity phase
    .venv/bin/python bench/bench_soak.py --minutes 2 --connections 4

The same processes as `bench/bench_scaleout.py` (two uvicorn web processes, two job workers and a
scheduler on PostgreSQL and Redis, its fresh database with the demo data), then:

1. **capacity**: a closed loop of --connections clients for --capacity-seconds runs the desk's daily mix
   (a requester's API create, the agent's ticket page, the agent's queue with its counts, a search and a
   requester's API list), so the processes are as full as they will get and the throughput the machine
   sustains is measured;
2. **soak**: the same loop for --minutes (a closed loop keeps the desk at the capacity just measured),
   sampling each web process's resident memory (VmRSS from /proc) every --sample-seconds.

Prints the RSS after the capacity phase, at the end and its largest growth per process, throughput and
errors per minute, and exits non-zero if a request failed, a process grew by more than --max-growth
(default 10 %) or ended above --max-rss-mib (default 150).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_scaleout import prepare, start, warm_up  # noqa: E402
from bench.servers import stop  # noqa: E402

SEARCH_WORDS = ("принтер", "printer", "password", "VPN", "case 4711")  # not a bare number: that opens the ticket


def rss_mib(pid: int) -> float:
    """Resident memory of one process, from the kernel's own accounting."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"process {pid} has no VmRSS (has it ended?)")


class Mix:
    """The closed-loop clients of one phase: every client runs the workloads in turn until the deadline."""

    def __init__(self, info: dict[str, Any], ports: list[int]) -> None:
        self.info = info
        self.ports = ports
        self.numbers: list[int] = []
        self.latencies: dict[str, list[float]] = {}
        self.errors: Counter[str] = Counter()
        self.done = 0

    async def _one(self, http: Any, requester: Any, workload: str, index: int) -> None:
        if workload == "create":
            response = await requester.post("/api/v1/tickets/", json={
                "subject": f"Monitor flickers at desk {index}", "body_text": "Since this morning, every few minutes."})
            if response.status_code == 201:
                self.numbers.append(int(response.json()["number"]))
        elif workload == "detail":
            number = self.numbers[index % len(self.numbers)] if self.numbers else None
            response = await http.get(f"/tickets/{number}/" if number else "/?queue=all")
        elif workload == "queue":
            response = await http.get("/?queue=all")
        elif workload == "search":
            response = await http.get("/search/", params={"q": SEARCH_WORDS[index % len(SEARCH_WORDS)]})
        else:
            response = await requester.get("/api/v1/tickets/")
        expected = 201 if workload == "create" else 200
        if response.status_code != expected:
            self.errors[f"{workload} {response.status_code}"] += 1

    async def run(self, seconds: float, connections: int) -> float:
        import httpx

        deadline = time.monotonic() + seconds
        workloads = ("create", "detail", "queue", "search", "list")

        async def client(index: int) -> None:
            base = f"http://127.0.0.1:{self.ports[index % len(self.ports)]}"
            token = self.info["requesters"][index % len(self.info["requesters"])]
            session = self.info["sessions"][index % len(self.info["sessions"])]
            async with (
                httpx.AsyncClient(base_url=base, cookies={"sessionid": session}, timeout=30) as http,
                httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as requester,
            ):
                turn = index
                while time.monotonic() < deadline:
                    workload = workloads[turn % len(workloads)]
                    turn += 1
                    started = time.perf_counter()
                    try:
                        await self._one(http, requester, workload, turn)
                    except httpx.HTTPError as error:
                        self.errors[f"{workload} {type(error).__name__}"] += 1
                        continue
                    self.latencies.setdefault(workload, []).append((time.perf_counter() - started) * 1000)
                    self.done += 1

        started = time.monotonic()
        await asyncio.gather(*(client(index) for index in range(connections)))
        return self.done / (time.monotonic() - started)


async def soak(info: dict[str, Any], ports: list[int], pids: list[int], minutes: float, sample_seconds: float,
               connections: int) -> tuple[list[tuple[float, list[float]]], Mix]:
    mix = Mix(info, ports)
    samples: list[tuple[float, list[float]]] = []
    started = time.monotonic()
    load = asyncio.create_task(mix.run(minutes * 60, connections))
    while not load.done():
        samples.append((time.monotonic() - started, [rss_mib(pid) for pid in pids]))
        await asyncio.wait([load], timeout=sample_seconds)
    await load
    samples.append((time.monotonic() - started, [rss_mib(pid) for pid in pids]))
    return samples, mix


def report(label: str, mix: Mix, seconds: float) -> None:
    print(f"{label}: {mix.done} requests, {mix.done / seconds:.1f}/s, errors: {sum(mix.errors.values())}"
          + (f" ({dict(mix.errors)})" if mix.errors else ""))
    for workload, values in sorted(mix.latencies.items()):
        ordered = sorted(values)
        print(f"  {workload:8} {len(values):6d} requests  p50 {statistics.median(ordered):7.1f} ms"
              f"  p95 {ordered[round(0.95 * (len(ordered) - 1))]:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--capacity-seconds", type=float, default=60.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--sample-seconds", type=float, default=30.0)
    parser.add_argument("--tickets", type=int, default=2000, help="demo tickets loaded first")
    parser.add_argument("--max-growth", type=float, default=10.0, help="per cent")
    parser.add_argument("--max-rss-mib", type=float, default=150.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="otklik-bench-soak-") as data_dir:
        info = prepare(data_dir, options.tickets)
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
        processes, ports = start(data_dir)
        web_pids = [process.pid for process in processes[: len(ports)]]
        try:
            print(f"web processes at start: {', '.join(f'{rss_mib(pid):.1f}' for pid in web_pids)} MiB")
            asyncio.run(warm_up(info, ports))
            capacity = Mix(info, ports)
            rate = asyncio.run(capacity.run(options.capacity_seconds, options.connections))
            report(f"capacity phase ({options.capacity_seconds:.0f} s)", capacity, options.capacity_seconds)
            samples, soaked = asyncio.run(soak(info, ports, web_pids, options.minutes, options.sample_seconds,
                                               options.connections))
        finally:
            stop(processes)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    report(f"soak ({options.minutes:g} min at the capacity of {rate:.1f} requests/s)", soaked, samples[-1][0])
    print(f"{'minute':>7} " + " ".join(f"{'web ' + str(n + 1) + ' MiB':>11}" for n in range(len(web_pids))))
    for elapsed, values in samples:
        print(f"{elapsed / 60:7.1f} " + " ".join(f"{value:11.1f}" for value in values))
    failures = [f"{sum(soaked.errors.values()) + sum(capacity.errors.values())} requests failed"] if (
        soaked.errors or capacity.errors) else []
    for n in range(len(web_pids)):
        first, last, top = samples[0][1][n], samples[-1][1][n], max(sample[1][n] for sample in samples)
        growth = (top - first) / first * 100
        print(f"web {n + 1}: {first:.1f} MiB after the capacity phase, {last:.1f} at the end, "
              f"largest {top:.1f} (+{growth:.1f} %)")
        if growth > options.max_growth:
            failures.append(f"web {n + 1} grew {growth:.1f} % (limit {options.max_growth:g} %)")
        if last > options.max_rss_mib:
            failures.append(f"web {n + 1} ended at {last:.1f} MiB (limit {options.max_rss_mib:g})")
    if failures:
        sys.exit("FAILED: " + "; ".join(failures))
    print("passed: no errors, memory flat")


if __name__ == "__main__":
    main()
