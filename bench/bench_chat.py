"""Live chat under load: N requesters and M agents on websockets, every question answered.

    .venv/bin/python bench/bench_chat.py [--requesters 200] [--agents 10] [--messages 3] [--mode one|two|both]

Prepares the PostgreSQL database named by BENCH_PG_URL (default `otklik_bench_chat`; dropped and re-created on
127.0.0.1:5432 as postgres), one support chat, the people and their signed-in sessions, then starts uvicorn:
- `one`: one process with the in-memory channel layer;
- `two`: two processes sharing the Redis layer (BENCH_REDIS_URL, default redis://127.0.0.1:6379/2), clients split
  between them.
Each requester asks `--messages` questions one after another, waiting for the answer to each; the agent
sockets all hear every question (the chat's staff group) and the agent owning the conversation answers.
Printed: messages per second (questions + answers stored and delivered) and p50/p95 delivery latency
(post sent by a client -> frame received by the other side), then the counts that prove nothing was lost or
doubled: questions heard by an agent, answers heard by requesters, rows stored. A run stops after 110 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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

PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/otklik_bench_chat")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
DB_NAME = PG_URL.rsplit("/", 1)[-1]
RUN_LIMIT_SECONDS = 110  # the machine is shared: a run is cut off (and says so) rather than left hanging


def _env(data_dir: str, redis: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "otklik.settings.base", "DATABASE_URL": PG_URL, "OTKLIK_DATA_DIR": data_dir,
        "SECRET_KEY": "bench-chat-secret-key-not-for-production-0123456789", "LOG_LEVEL": "WARNING",
        "OTKLIK_JOBS_BACKEND": "postgres",
    })
    env.pop("REDIS_URL", None)
    if redis:
        env["REDIS_URL"] = REDIS_URL
    return env


def prepare(requesters: int, agents: int, data_dir: str) -> dict[str, Any]:
    """In a child process (settings from the environment): migrate, people, a chat, sessions."""
    code = f"""
import json, django
django.setup()
from django.core.management import call_command
from django.utils import timezone
from otklik.accounts.models import Role, Team, User
from otklik.chat import services
call_command("migrate", verbosity=0)
team = Team.objects.create(name="Bench first line")
admin = User.objects.create_user(email="admin@bench.test", role=Role.ADMIN, is_superuser=True)
chat = services.chat_create(actor=admin, name="Bench", team=team, now=timezone.now())
{SESSION_CODE}
agents = []
for i in range({agents}):
    # No password: a session is enough, and hashing hundreds of them is slow on a busy machine.
    user = User.objects.create_user(email=f"agent{{i}}@bench.test", role=Role.AGENT)
    team.members.add(user); agents.append(session(user))
requesters = [session(User.objects.create_user(email=f"r{{i}}@bench.test")) for i in range({requesters})]
print(json.dumps({{"chat": chat.pk, "agents": agents, "requesters": requesters}}))
"""
    recreate_database(DB_NAME)
    out = subprocess.run(  # noqa: S603  (our own interpreter and script)
        [sys.executable, "-c", code], env=_env(data_dir, False), cwd=ROOT, check=True, capture_output=True, text=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def start_servers(count: int, data_dir: str, redis: bool) -> tuple[list[subprocess.Popen[bytes]], list[int]]:
    ports = [free_port() for _index in range(count)]
    processes = [
        subprocess.Popen(  # noqa: S603  (our own interpreter running uvicorn)
            [sys.executable, "-m", "uvicorn", "otklik.asgi:application", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning", "--ws", "websockets-sansio"],
            env=_env(data_dir, redis), cwd=ROOT,
        )
        for port in ports
    ]
    wait_for_ports(ports)
    return processes, ports


async def run_load(info: dict[str, Any], ports: list[int], messages: int) -> dict[str, Any]:
    import websockets

    chat = info["chat"]
    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    lost: list[str] = []
    answered: dict[str, asyncio.Event] = {}
    conversations_of_agent: dict[int, int] = {}
    # Counts for "nothing lost, nothing doubled": every frame each side received, by token.
    heard_by_agents: dict[str, int] = {}
    answers_heard: dict[str, int] = {}
    agent_count = len(info["agents"])

    def url(index: int) -> str:
        return f"ws://127.0.0.1:{ports[index % len(ports)]}/ws/chats/{chat}/"

    def headers(index: int, key: str) -> dict[str, str]:
        return {"Cookie": f"sessionid={key}", "Origin": f"http://127.0.0.1:{ports[index % len(ports)]}"}

    async def agent(index: int, key: str, ready: asyncio.Event) -> None:
        async with websockets.connect(url(index), additional_headers=headers(index, key), max_queue=None,
                                      open_timeout=300) as ws:
            ready.set()
            async for raw in ws:
                frame = json.loads(raw)
                message = frame.get("message") or {}
                token = message.get("text", "")
                if frame.get("kind") != "message" or message.get("from_staff"):
                    continue
                if index == 0:
                    heard_by_agents[token] = heard_by_agents.get(token, 0) + 1
                    if token in sent_at:
                        latencies.append(time.perf_counter() - sent_at[token])
                # One agent owns each conversation (conversation id modulo the number of agents) and answers.
                conversation = message["conversation"]
                owner = conversations_of_agent.setdefault(conversation, conversation % agent_count)
                if owner == index:
                    reply = "re:" + token
                    sent_at[reply] = time.perf_counter()
                    await ws.send(json.dumps({"type": "message", "text": reply, "conversation": conversation}))

    async def requester(index: int, key: str, connected: asyncio.Event, go: asyncio.Event) -> None:
        async with websockets.connect(url(index + 1), additional_headers=headers(index + 1, key),
                                      open_timeout=300) as ws:
            connected.set()
            await go.wait()
            for number in range(messages):
                token = f"q-{index}-{number}"
                answered[token] = asyncio.Event()
                sent_at[token] = time.perf_counter()
                await ws.send(json.dumps({"type": "message", "text": token}))
                while not answered[token].is_set():
                    try:
                        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=60))
                    except TimeoutError:
                        lost.append(token)  # never answered live: a dropped delivery somewhere
                        break
                    text = (frame.get("message") or {}).get("text", "")
                    if frame.get("kind") == "message" and text.startswith("re:"):
                        answers_heard[text] = answers_heard.get(text, 0) + 1
                    if frame.get("kind") == "message" and text == "re:" + token:
                        latencies.append(time.perf_counter() - sent_at[text])
                        answered[token].set()

    readies = [asyncio.Event() for _key in info["agents"]]
    agent_tasks = [asyncio.create_task(agent(i, key, readies[i])) for i, key in enumerate(info["agents"])]
    await asyncio.gather(*(ready.wait() for ready in readies))
    # Everyone connects first (a crowd of handshakes is not the chat's steady state), then the clock starts.
    connected = [asyncio.Event() for _key in info["requesters"]]
    go = asyncio.Event()
    requesters = [
        asyncio.create_task(requester(i, key, connected[i], go)) for i, key in enumerate(info["requesters"])
    ]
    await asyncio.gather(*(event.wait() for event in connected))
    started = time.perf_counter()
    go.set()
    # Bounded: whatever is still waiting at the limit is cut off and counted, not left running.
    _done, pending = await asyncio.wait(requesters, timeout=RUN_LIMIT_SECONDS)
    elapsed = time.perf_counter() - started
    for task in [*pending, *agent_tasks]:
        task.cancel()
    await asyncio.gather(*pending, *agent_tasks, return_exceptions=True)
    total = 2 * messages * len(info["requesters"])
    ordered = sorted(latencies) or [0.0]
    return {
        "lost": len(lost), "cut_off": len(pending), "answered": sum(1 for event in answered.values() if event.is_set()),
        "questions_heard": len(heard_by_agents),
        "questions_doubled": sum(n - 1 for n in heard_by_agents.values()),
        "answers_heard": len(answers_heard),
        "answers_doubled": sum(n - 1 for n in answers_heard.values()), "messages": total, "seconds": round(elapsed, 2),
        "messages_per_second": round(total / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
    }


def stored_counts() -> tuple[int, int, int]:
    """Rows in the database after the run: messages, distinct texts, dialogs still unanswered."""
    query = ("SELECT (SELECT count(*) FROM chat_chatmessage), (SELECT count(DISTINCT text) FROM chat_chatmessage), "
             "(SELECT count(*) FROM chat_dialog WHERE answered_at IS NULL)")
    out = subprocess.run(  # noqa: S603  (a fixed query on the local test server)
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DB_NAME, "-tAc", query],  # noqa: S607
        check=True, capture_output=True, text=True,
    )
    rows, distinct, open_dialogs = (int(part) for part in out.stdout.strip().split("|"))
    return rows, distinct, open_dialogs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requesters", type=int, default=200)
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--messages", type=int, default=3)
    parser.add_argument("--mode", choices=["one", "two", "both"], default="both")
    options = parser.parse_args()
    modes = ["one", "two"] if options.mode == "both" else [options.mode]
    with tempfile.TemporaryDirectory(prefix="otklik-bench-chat-") as data_dir:
        for mode in modes:
            info = prepare(options.requesters, options.agents, data_dir)
            processes, ports = start_servers(1 if mode == "one" else 2, data_dir, redis=mode == "two")
            try:
                result = asyncio.run(run_load(info, ports, options.messages))
            finally:
                stop(processes)
            layer = "in-memory layer, 1 process" if mode == "one" else "Redis layer, 2 processes"
            print(f"{layer}: {options.requesters} requesters, {options.agents} agents: "
                  f"{result['messages']} messages in {result['seconds']} s = {result['messages_per_second']} msg/s; "
                  f"delivery p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms; "
                  f"questions left unanswered: {result['lost']}"
                  + (f"; CUT OFF at {RUN_LIMIT_SECONDS} s with {result['cut_off']} requesters still waiting, "
                     f"{result['answered']} questions answered" if result["cut_off"] else ""))
            rows, distinct, open_dialogs = stored_counts()
            expected = result["messages"]
            print(f"  counts: questions sent {expected // 2}, heard by an agent {result['questions_heard']} "
                  f"(doubled {result['questions_doubled']}); answers heard by requesters {result['answers_heard']} "
                  f"(doubled {result['answers_doubled']}); stored messages {rows} (distinct {distinct}, "
                  f"expected {expected}); dialogs left unanswered {open_dialogs}")


if __name__ == "__main__":
    main()
