"""The whole public corpus through the real pipeline: zero crashes, every failure quarantined with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from otklik.mail.management.commands.mail import corpus_files, run_corpus

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "emails"


@pytest.fixture
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("the email corpus: ../shared is not present (it is only in CI)")
    return CORPUS


def test_mail_corpus_goes_through_the_pipeline_without_a_crash(db, corpus_dir, capsys):
    summary = run_corpus(corpus_files(corpus_dir))

    print(summary["outcomes"], summary["quarantined"], summary["seconds"])
    assert summary["messages"] >= 1000
    assert summary["crashes"] == 0, summary["crash_details"][:5]
    assert all(item["reason"].strip() for item in summary["quarantine_reasons"])
    assert summary["tickets"] > 100
    assert summary["automated"] > 300  # the sisimai bounces and RFC 3834 auto-replies
    assert summary["quarantined"] < summary["messages"] * 0.15
