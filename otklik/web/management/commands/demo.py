"""`otklik demo`: realistic demo data (organizations, teams, agents, ~2,000 tickets over six months)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from otklik.automation.demo import mark_history_as_read, seed_demo_automation
from otklik.chat.demo import seed_demo_chats
from otklik.demodata.bulk import generate_tickets
from otklik.demodata.seed import demo_account_lines, seed_reference_data
from otklik.knowledge.demo import seed_demo_knowledge
from otklik.reports.demo import seed_demo_ratings
from otklik.sla.demo import backfill_clocks, seed_demo_sla
from otklik.trackers.demo import seed_demo_trackers


class Command(BaseCommand):
    help = "Load demo data: organizations, teams, agents, requesters and tickets with their history."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=2000)
        parser.add_argument("--days", type=int, default=180)
        parser.add_argument("--seed", type=int, default=42)
        # `otklik run --demo` prints the accounts in its own banner, after the address.
        parser.add_argument("--no-accounts", dest="show_accounts", action="store_false")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        now = timezone.now()
        seed_reference_data()
        seed_demo_sla(now)
        seed_demo_automation()
        seed_demo_trackers()
        written = generate_tickets(options["tickets"], now=now, days=options["days"], seed=options["seed"])
        # History is written in bulk, without the live hooks: derive what they would have kept.
        clocks = backfill_clocks(now)
        chats = seed_demo_chats(now, days=options["days"])
        seed_demo_knowledge()
        mark_history_as_read()  # nobody gets mail about six months of made-up history
        call_command("search_reindex", stdout=self.stdout)
        seed_demo_ratings(now=now, seed=options["seed"])
        call_command("reports_rebuild", stdout=self.stdout)  # report durations of the bulk-written history
        self.stdout.write(
            f"Demo data loaded in {time.perf_counter() - started:.1f} s: {written['tickets']} tickets, "
            f"{written['messages']} messages, {written['events']} history events, "
            f"{clocks['clocks']} SLA clocks, {chats['dialogs']} chat dialogs."
        )
        if options["show_accounts"]:
            self.stdout.write("\n".join(demo_account_lines()))
