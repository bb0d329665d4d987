"""Scale out for real: two web processes, two job workers and one scheduler on PostgreSQL and Redis.

    .venv/bin/python bench/bench_scaleout.py                 # 15 s per load phase, 8 connections
    .venv/bin/python bench/bench_scaleout.py --seconds 30 --connections 16

Everything runs on 127.0.0.1: a fresh PostgreSQL database (`otklik_bench_scaleout`) with the demo data
(--tickets), Redis db 11 (flushed) as job queue, channel layer and cache; two uvicorn web processes; two
job workers (Huey consumers without the scheduler) and one scheduler (a consumer that also enqueues the
periodic jobs). Then, in order:

1. **creates**: requesters' API creates for --seconds through web process 1 alone, then for --seconds
   spread over both (the same shared-nothing processes; more of them is how the desk scales out);
2. **replies**: a first-line agent's public reply on each created ticket, spread over both, each of
   which mails the requester through the job queue;
3. **exactly once**: waits until the mail queue is drained, then checks that every mail the workers sent
   was written once (Message-ID) and that every queued mail was sent; then `otklik jobcheck` enqueues
   probe jobs and checks each ran exactly once, and on how many worker processes;
4. **collision notice across processes**: two first-line agents open the same new ticket's presence
   socket, one on each web process; the first must hear the second within 5 s.

Prints a table and exits non-zero if a job or mail was doubled or lost or the notice did not cross.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.servers import SESSION_CODE, free_port, recreate_database, stop, wait_for_ports  # noqa: E402

PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/otklik_bench_scaleout")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
DB_NAME = PG_URL.rsplit("/", 1)[-1]
REQUESTERS = 8
DRAIN_SECONDS = 180


def _env(data_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "otklik.settings.base", "DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL,
        "OTKLIK_DATA_DIR": data_dir, "SECRET_KEY": "bench-scaleout-secret-key-not-for-production-0123456789",
        "LOG_LEVEL": "WARNING", "OTKLIK_WEB_PROCESS": "1",
        # Mail goes to files (one per connection, every message with its Message-ID): sends can be counted.
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OTKLIK_BASE_URL": "http://127.0.0.1:8000",
    })
    return env


PREPARE = """
import json, django
django.setup()
from django.core.management import call_command
from django.utils import timezone
from otklik.accounts.models import Role, TeamKind, User
from otklik.api.tokens import token_create
call_command("migrate", verbosity=0)
call_command("demo", tickets=TICKETS, show_accounts=False, verbosity=0)
now = timezone.now()
def token(user):
    return token_create(actor=user, user=user, name="bench", scopes=("read", "write"), now=now,
                        requests_per_minute=1_000_000).secret
SESSION_CODE
requesters = User.objects.filter(role=Role.REQUESTER, is_active=True).exclude(email="").order_by("pk")[:REQUESTERS]
# Agents of the first line, who handle every new (unrouted) ticket; not limited to their assigned tickets.
agents = list(User.objects.filter(role=Role.AGENT, is_active=True, only_assigned_to_me=False,
                                  teams__kind=TeamKind.FIRST_LINE).distinct().order_by("pk")[:2])
assert len(agents) == 2, "the demo has two first-line agents"
print(json.dumps({"requesters": [token(user) for user in requesters], "agent": token(agents[0]),
                  "sessions": [session(agent) for agent in agents], "agent_ids": [a.pk for a in agents]}))
"""


def prepare(data_dir: str, tickets: int) -> dict[str, Any]:
    recreate_database(DB_NAME)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    code = (PREPARE.replace("SESSION_CODE", SESSION_CODE).replace("TICKETS", str(tickets))
            .replace("REQUESTERS", str(REQUESTERS)))
    out = subprocess.run(  # noqa: S603  (our own interpreter and script)
        [sys.executable, "-c", code], env=_env(data_dir), cwd=ROOT, check=True, capture_output=True, text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def start(data_dir: str) -> tuple[list[subprocess.Popen[bytes]], list[int]]:
    env = _env(data_dir)
    ports = [free_port(), free_port()]
    # The processes' own logs (the job consumers report every job) go to a file beside the data.
    log = Path(data_dir, "processes.log").open("ab")  # noqa: SIM115  (open for the processes' lifetime)
    web = [
        subprocess.Popen(  # noqa: S603  (our own interpreter running uvicorn)
            [sys.executable, "-m", "uvicorn", "otklik.asgi:application", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning", "--ws", "websockets-sansio", "--no-proxy-headers"],
            env=env, cwd=ROOT, stdout=log, stderr=log,
        )
        for port in ports
    ]
    def consumer(threads: int, *extra: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(  # noqa: S603  (our own interpreter running the job consumer)
            [sys.executable, "-m", "otklik", "run_huey", "--workers", str(threads), "--worker-type", "thread", *extra],
            env=env, cwd=ROOT, stdout=log, stderr=log,
        )

    jobs = [consumer(2, "--no-periodic") for _worker in range(2)]
    scheduler = consumer(1)
    processes = [*web, *jobs, scheduler]
    try:
        wait_for_ports(ports, timeout=180)
    except RuntimeError:
        stop(processes)
        raise
    return processes, ports


def _summary(label: str, latencies: list[float], errors: int, seconds: float) -> dict[str, Any]:
    ordered = sorted(latencies) or [0.0]
    return {"label": label, "done": len(latencies), "per_second": len(latencies) / seconds, "errors": errors,
            "p50": statistics.median(ordered), "p95": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]}


async def creates(info: dict[str, Any], ports: list[int], seconds: float, connections: int,
                  label: str) -> tuple[dict[str, Any], list[int]]:
    import httpx

    latencies: list[float] = []
    numbers: list[int] = []
    errors = 0
    deadline = time.monotonic() + seconds

    async def client(index: int) -> None:
        nonlocal errors
        port = ports[index % len(ports)]
        headers = {"Authorization": f"Bearer {info['requesters'][index % len(info['requesters'])]}"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as http:
            sent = 0
            while time.monotonic() < deadline:
                sent += 1
                started = time.perf_counter()
                response = await http.post("/api/v1/tickets/", json={
                    "subject": f"Printer on floor {index} jams ({sent})", "body_text": "Paper jam again, room 305."})
                if response.status_code == 201:
                    latencies.append((time.perf_counter() - started) * 1000)
                    numbers.append(int(response.json()["number"]))
                else:
                    errors += 1

    started = time.monotonic()
    await asyncio.gather(*(client(index) for index in range(connections)))
    return _summary(label, latencies, errors, time.monotonic() - started), numbers


async def warm_up(info: dict[str, Any], ports: list[int]) -> None:
    """A few requests per process first: each one imports and fills its caches on its first requests."""
    import httpx

    for port in ports:
        headers = {"Authorization": f"Bearer {info['requesters'][0]}"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as http:
            for _request in range(5):
                (await http.get("/api/v1/tickets/")).raise_for_status()


async def replies(info: dict[str, Any], ports: list[int], numbers: list[int], connections: int) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors = 0
    queue = list(numbers)

    async def client(index: int) -> None:
        nonlocal errors
        headers = {"Authorization": f"Bearer {info['agent']}"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports[index % len(ports)]}", headers=headers,
                                     timeout=30) as http:
            while queue:
                number = queue.pop()
                started = time.perf_counter()
                response = await http.post(f"/api/v1/tickets/{number}/replies/",
                                           json={"body_text": "Please try the tray on the left."})
                if response.status_code == 201:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1

    started = time.monotonic()
    await asyncio.gather(*(client(index) for index in range(connections)))
    return _summary("agent replies, both processes", latencies, errors, time.monotonic() - started)


async def presence_crosses(info: dict[str, Any], ports: list[int], ticket_id: int) -> float | None:
    """Seconds until the agent on process 1 hears the agent who opened the ticket on process 2."""
    import websockets

    def connect(index: int) -> Any:
        port = ports[index]
        return websockets.connect(
            f"ws://127.0.0.1:{port}/ws/tickets/{ticket_id}/presence/", open_timeout=30,
            additional_headers={"Cookie": f"sessionid={info['sessions'][index]}", "Origin": f"http://127.0.0.1:{port}"})

    async with connect(0) as first:
        started = time.perf_counter()
        async with connect(1):
            try:
                while True:
                    frame = json.loads(await asyncio.wait_for(first.recv(), timeout=5))
                    if frame.get("user_id") == info["agent_ids"][1] and frame.get("state") == "viewing":
                        return time.perf_counter() - started
            except TimeoutError:
                return None


CHECKS = """
import json, time, django
django.setup()
from otklik.mail.models import OutboundMail, OutboundStatus
from otklik.tickets.models import Ticket
deadline = time.monotonic() + DRAIN
waiting = [OutboundStatus.PENDING]
while time.monotonic() < deadline and OutboundMail.objects.filter(status__in=waiting).exists():
    time.sleep(0.5)
print(json.dumps({"queued": OutboundMail.objects.filter(status__in=waiting).count(),
                  "sent": OutboundMail.objects.filter(status=OutboundStatus.SENT).count(),
                  "failed": OutboundMail.objects.filter(status=OutboundStatus.FAILED).count(),
                  "suppressed": OutboundMail.objects.filter(status=OutboundStatus.SUPPRESSED).count(),
                  "ticket": Ticket.objects.filter(number=NUMBER).values_list("pk", flat=True).get()}))
"""


def mail_ids(data_dir: str) -> list[str]:
    """Every Message-ID the file mail backend wrote (one file per connection, many messages per file)."""
    found: list[str] = []
    for path in Path(data_dir, "mail-sink").glob("*"):
        found += re.findall(r"^Message-ID: (\S+)", path.read_text(errors="replace"), flags=re.MULTILINE)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each create phase")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--tickets", type=int, default=300, help="demo tickets loaded first")
    parser.add_argument("--probes", type=int, default=200, help="probe jobs for `otklik jobcheck`")
    options = parser.parse_args()
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="otklik-bench-scaleout-") as data_dir:
        info = prepare(data_dir, options.tickets)
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
        processes, ports = start(data_dir)
        try:
            asyncio.run(warm_up(info, ports))
            one, first_numbers = asyncio.run(creates(info, ports[:1], options.seconds, options.connections,
                                                     "API creates, web process 1 only"))
            two, numbers = asyncio.run(creates(info, ports, options.seconds, options.connections,
                                               "API creates, both web processes"))
            replied = asyncio.run(replies(info, ports, first_numbers + numbers, options.connections))
            env = _env(data_dir)
            checks = json.loads(subprocess.run(  # noqa: S603  (our own interpreter and script)
                [sys.executable, "-c", CHECKS.replace("DRAIN", str(DRAIN_SECONDS)).replace("NUMBER", str(numbers[-1]))],
                env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
            probes = subprocess.run(  # noqa: S603
                [sys.executable, "-m", "otklik", "jobcheck", "--jobs", str(options.probes), "--timeout", "120"],
                env=env, cwd=ROOT, capture_output=True, text=True)
            crossed = asyncio.run(presence_crosses(info, ports, checks["ticket"]))
        finally:
            stop(processes)
        written = mail_ids(data_dir)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'phase':36} {'done':>6} {'per s':>7} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6}")
    for row in (one, two, replied):
        print(f"{row['label']:36} {row['done']:6d} {row['per_second']:7.1f} {row['p50']:7.1f} {row['p95']:7.1f}"
              f" {row['errors']:6d}")
        if row["errors"]:
            failures.append(f"{row['label']}: {row['errors']} errors")
    doubled = len(written) - len(set(written))
    print(f"mail: {checks['sent']} sent, {checks['queued']} still waiting after {DRAIN_SECONDS} s, "
          f"{checks['failed']} failed, {checks['suppressed']} held by the loop guard; {len(written)} written by "
          f"the workers, {doubled} doubled")
    if doubled or checks["queued"] or checks["failed"] or len(set(written)) != checks["sent"]:
        failures.append("mail doubled, lost or stuck")
    print(f"jobcheck: {probes.stdout.strip().splitlines()[-1] if probes.stdout.strip() else probes.stderr[-300:]}")
    if probes.returncode:
        failures.append("jobcheck failed")
    print("collision notice across processes: "
          + (f"heard in {crossed * 1000:.0f} ms" if crossed is not None else "NOT heard within 5 s"))
    if crossed is None:
        failures.append("presence did not cross processes")
    if failures:
        sys.exit("FAILED: " + "; ".join(failures))


if __name__ == "__main__":
    main()
