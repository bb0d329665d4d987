"""Connection settings: persistent connections with health checks; web processes get a statement timeout
and a connection pool."""

from __future__ import annotations

import pytest

from otklik.settings.base import database_config

URL = "postgres://postgres@127.0.0.1:5432/otklik_x"


def test_connections_persist_only_when_asked_with_health_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTKLIK_DB_CONN_MAX_AGE", raising=False)
    assert database_config(URL)["CONN_MAX_AGE"] == 0  # ASGI strands persistent connections: opt-in only
    monkeypatch.setenv("OTKLIK_DB_CONN_MAX_AGE", "60")
    config = database_config(URL)
    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (60, True)


def test_only_web_processes_get_the_statement_timeout_and_no_jit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTKLIK_WEB_STATEMENT_TIMEOUT_MS", raising=False)
    assert "options" not in database_config(URL)["OPTIONS"]  # job workers, migrations, loads
    assert database_config(URL, web=True)["OPTIONS"]["options"] == "-c statement_timeout=5000 -c jit=off"
    monkeypatch.setenv("OTKLIK_WEB_STATEMENT_TIMEOUT_MS", "2500")
    monkeypatch.setenv("OTKLIK_DB_JIT", "1")
    assert database_config(URL, web=True)["OPTIONS"]["options"] == "-c statement_timeout=2500"


def test_the_pool_replaces_persistent_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTKLIK_DB_POOL_SIZE", "8")
    config = database_config(URL)
    assert config["OPTIONS"]["pool"]["max_size"] == 8
    assert config["CONN_MAX_AGE"] == 0


def test_web_processes_borrow_from_a_pool_and_other_processes_do_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTKLIK_DB_POOL_SIZE", raising=False)
    web = database_config(URL, web=True)
    assert web["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 10, "timeout": 10}
    assert web["CONN_MAX_AGE"] == 0
    assert "pool" not in database_config(URL)["OPTIONS"]  # job workers and commands hold one connection
    monkeypatch.setenv("OTKLIK_DB_POOL_SIZE", "0")
    assert "pool" not in database_config(URL, web=True)["OPTIONS"]


def test_prepared_statements_switch_on_server_side_binding(monkeypatch: pytest.MonkeyPatch) -> None:
    # Django's default client-side cursors never prepare: the threshold alone would do nothing.
    monkeypatch.delenv("OTKLIK_DB_PREPARE_THRESHOLD", raising=False)
    assert "server_side_binding" not in database_config(URL, web=True)["OPTIONS"]
    monkeypatch.setenv("OTKLIK_DB_PREPARE_THRESHOLD", "2")
    options = database_config(URL, web=True)["OPTIONS"]
    assert (options["prepare_threshold"], options["server_side_binding"]) == (2, True)
