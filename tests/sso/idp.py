"""Fixtures: a real OpenID Connect provider (tests/sso/oidc_idp.py, django-oauth-toolkit) as a subprocess
on a free loopback port, and the Otklik-side provider row pointing at it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

IDP_SCRIPT = Path(__file__).with_name("oidc_idp.py")
CLIENT_ID = "otklik-test-client"
CLIENT_SECRET = "otklik-test-secret"
IDP_PASSWORD = "idp-pass"
PROVIDER_ID = "corp"
PROVIDER_NAME = "Corp ID"

PEOPLE: list[dict[str, Any]] = [
    {"email": "newbie@corp.example", "email_verified": True, "given_name": "Nina", "family_name": "Novak"},
    {"email": "known@corp.example", "email_verified": True, "given_name": "Ken", "family_name": "Known"},
    {"email": "agent@corp.example", "email_verified": True, "groups": ["Support-Agents"]},
    {"email": "sneaky@corp.example", "email_verified": False},
    {"email": "staff@corp.example", "email_verified": True, "groups": ["support-agents"], "amr": ["pwd"]},
    {"email": "mfa@corp.example", "email_verified": True, "groups": ["support-agents"], "amr": ["pwd", "mfa"]},
]


@pytest.fixture(scope="session")
def oidc_idp() -> Iterator[str]:
    """Base URL of the running provider; its people are PEOPLE, password IDP_PASSWORD."""
    data_dir = tempfile.mkdtemp(prefix="otklik-idp-")
    env = {
        **os.environ,
        "IDP_USERS": json.dumps(PEOPLE),
        "IDP_CLIENT_ID": CLIENT_ID,
        "IDP_CLIENT_SECRET": CLIENT_SECRET,
        # Loopback redirect URIs match any port (RFC 8252), so one row serves every test server.
        "IDP_REDIRECT_URIS": f"http://127.0.0.1/sso/oidc/{PROVIDER_ID}/login/callback/",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = Path(data_dir) / "idp.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, str(IDP_SCRIPT), data_dir], stdout=subprocess.PIPE, stderr=log_file, env=env, text=True
        )
        try:
            assert process.stdout is not None
            deadline = time.monotonic() + 90
            line = ""
            while time.monotonic() < deadline:
                line = process.stdout.readline()
                if line.startswith("READY ") or process.poll() is not None:
                    break
            if not line.startswith("READY "):
                raise RuntimeError(f"the test OpenID provider did not start: {log.read_text()[-2000:]}")
            yield line.split()[1].strip()
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def make_provider(idp_url: str, *, trust_mfa: bool = False) -> Any:
    """The SocialApp an administrator would add, with its policy and a group mapping to agent + team."""
    from allauth.socialaccount.models import SocialApp

    from otklik.accounts.models import Role, Team
    from otklik.sso.models import GroupMapping, MappingSource, ProviderPolicy

    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id=PROVIDER_ID,
        name=PROVIDER_NAME,
        client_id=CLIENT_ID,
        secret=CLIENT_SECRET,
        settings={"server_url": f"{idp_url}/o"},
    )
    ProviderPolicy.objects.create(app=app, trust_mfa=trust_mfa)
    team = Team.objects.create(name="Second line (SSO)")
    GroupMapping.objects.create(
        source=MappingSource.OIDC, provider=app, value="support-agents", role=Role.AGENT, team=team
    )
    return app
