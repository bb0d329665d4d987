"""A real OpenID Connect provider for the SSO tests: django-oauth-toolkit in its own small Django project,
run by the suite as a subprocess on a free loopback port (never imported by the product).

    python tests/sso/oidc_idp.py <data-dir>

Reads IDP_USERS (JSON list of people: email, password, email_verified, groups, amr, given_name,
family_name) and IDP_CLIENT_ID / IDP_CLIENT_SECRET, creates them, and prints "READY <base url>".
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import django
from django.conf import settings

DATA_DIR = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
PEOPLE: dict[str, dict[str, Any]] = {p["email"]: p for p in json.loads(os.environ.get("IDP_USERS", "[]"))}


def _rsa_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def configure() -> None:
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain HTTP on loopback, tests only
    settings.configure(
        DEBUG=False,
        SECRET_KEY="test-idp-not-secret",
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "oauth2_provider",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "idp.sqlite3")}},
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        # Both servers live on 127.0.0.1 and browsers do not separate cookies by port.
        SESSION_COOKIE_NAME="idp_session",
        CSRF_COOKIE_NAME="idp_csrf",
        LOGIN_URL="/login/",
        USE_TZ=True,
        OAUTH2_PROVIDER={
            "OIDC_ENABLED": True,
            "OIDC_RSA_PRIVATE_KEY": _rsa_key(),
            "OAUTH2_VALIDATOR_CLASS": f"{__name__}.ClaimsValidator",
            "SCOPES": {"openid": "OpenID Connect", "email": "Email", "profile": "Profile"},
            "PKCE_REQUIRED": True,
        },
    )
    django.setup()


def login_view(request: Any) -> Any:
    from django.contrib.auth import authenticate, login
    from django.http import HttpResponse, HttpResponseRedirect
    from django.utils.html import escape

    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    error = ""
    if request.method == "POST":
        user = authenticate(request, username=request.POST.get("username"), password=request.POST.get("password"))
        if user is not None:
            login(request, user)
            return HttpResponseRedirect(next_url)
        error = "<p id='error'>Wrong password</p>"
    return HttpResponse(
        "<!doctype html><title>Test IdP</title><h1>Company IdP</h1>"
        + error
        + "<form method='post'><input name='username' id='idp-username'><input name='password' type='password' "
        f"id='idp-password'><input type='hidden' name='next' value='{escape(next_url)}'>"
        "<button type='submit' id='idp-submit'>Sign in</button></form>"
    )


def _validator_class() -> type:
    from oauth2_provider.oauth2_validators import OAuth2Validator

    class ClaimsValidator(OAuth2Validator):  # type: ignore[misc]
        oidc_claim_scope = None  # every claim, whatever the scopes: the tests decide by the person

        def get_additional_claims(self, request: Any) -> dict[str, Any]:
            person = PEOPLE.get(request.user.username, {})
            return {
                "email": person.get("email", ""),
                "email_verified": bool(person.get("email_verified", False)),
                "given_name": person.get("given_name", ""),
                "family_name": person.get("family_name", ""),
                "groups": person.get("groups", []),
                "amr": person.get("amr", ["pwd"]),
            }

    return ClaimsValidator


configure()
ClaimsValidator = _validator_class()

from django.urls import include, path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

urlpatterns = [
    path("login/", csrf_exempt(login_view)),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]


def prepare() -> None:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from oauth2_provider.models import get_application_model

    call_command("migrate", verbosity=0, interactive=False)
    for email, person in PEOPLE.items():
        User.objects.create_user(username=email, email=email, password=person.get("password", "idp-pass"))
    get_application_model().objects.create(
        name="Otklik",
        client_id=os.environ["IDP_CLIENT_ID"],
        client_secret=os.environ["IDP_CLIENT_SECRET"],
        hash_client_secret=False,
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris=os.environ["IDP_REDIRECT_URIS"],
        skip_authorization=True,
        algorithm="RS256",
    )


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


def main() -> None:
    from django.core.wsgi import get_wsgi_application

    prepare()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = make_server(
        "127.0.0.1", port, get_wsgi_application(), server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    print(f"READY http://127.0.0.1:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
