"""Security headers, the Content-Security-Policy, cookie flags and password hashing."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.test import Client
from django.urls import reverse

from otklik.settings import security as security_settings
from otklik.testing.personas import PASSWORD, Personas


def _directives(header: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


@pytest.mark.parametrize("url_name", ["login", "home", "security:overview"])
def test_every_page_carries_the_security_headers(people: Personas, url_name: str) -> None:
    client = Client()
    client.force_login(people.fiona)
    response = client.get(reverse(url_name))
    assert response.status_code in {200, 302}
    csp = _directives(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert "'unsafe-inline'" not in csp["style-src"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_nonce_appears_only_when_a_template_uses_it(people: Personas) -> None:
    from django.middleware.csp import ContentSecurityPolicyMiddleware
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    middleware = ContentSecurityPolicyMiddleware(lambda r: None)  # type: ignore[arg-type]
    middleware.process_request(request)
    from django.http import HttpResponse

    html = Template('<script nonce="{{ csp_nonce }}" src="/static/x.js"></script>').render(
        Context({"csp_nonce": request._csp_nonce})  # type: ignore[attr-defined]
    )
    response = middleware.process_response(request, HttpResponse(html))
    nonce = str(request._csp_nonce)  # type: ignore[attr-defined]
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    assert nonce in html


def test_session_cookie_is_httponly_and_samesite(people: Personas) -> None:
    client = Client()
    response = client.post(reverse("login"), {"username": people.fiona.email, "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert settings.SESSION_COOKIE_AGE <= 24 * 3600


def _configured(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    namespace: dict[str, Any] = {
        "INSTALLED_APPS": ["django.contrib.auth"],
        "MIDDLEWARE": [
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        "TEMPLATES": [{"OPTIONS": {"context_processors": []}}],
        "AUTH_PASSWORD_VALIDATORS": [],
        "SESSION_COOKIE_SECURE": False,
    }
    security_settings.configure(namespace)
    return namespace


def test_behind_https_cookies_are_secure_host_only_and_hsts_is_on(monkeypatch: pytest.MonkeyPatch) -> None:
    configured = _configured(monkeypatch, HTTPS="1")
    assert configured["SESSION_COOKIE_SECURE"] and configured["CSRF_COOKIE_SECURE"]
    assert configured["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert configured["SECURE_HSTS_SECONDS"] >= 180 * 24 * 3600
    assert configured["SECURE_CSP"]["upgrade-insecure-requests"] is True


def test_configuration_order_and_hashers(monkeypatch: pytest.MonkeyPatch) -> None:
    configured = _configured(monkeypatch)
    assert configured["PASSWORD_HASHERS"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    middleware = configured["MIDDLEWARE"]
    auth = middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware")
    assert middleware.index("django_otp.middleware.OTPMiddleware") == auth + 1
    assert middleware.index("otklik.security.middleware.TwoFactorMiddleware") > auth + 1
    assert middleware[-1] == "axes.middleware.AxesMiddleware"
    assert configured["AUTHENTICATION_BACKENDS"][0] == "otklik.security.backends.LockoutBackend"
    assert "django.template.context_processors.csp" in configured["TEMPLATES"][0]["OPTIONS"]["context_processors"]
    # Running it twice changes nothing (the settings modules may be imported more than once).
    again = dict(configured)
    security_settings.configure(again)
    assert again["MIDDLEWARE"].count("django_otp.middleware.OTPMiddleware") == 1


def test_argon2_hashes_and_verifies(settings: Any) -> None:
    # The test settings use a fast hasher; production's list (Argon2 first) is checked above.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    encoded = make_password("correct-horse-battery")
    assert identify_hasher(encoded).algorithm == "argon2"
    assert check_password("correct-horse-battery", encoded)
    assert not check_password("wrong", encoded)


def test_oversized_request_bodies_are_refused_before_reading(people: Personas) -> None:
    limit = int(settings.OTKLIK_MAX_REQUEST_BYTES)  # type: ignore[misc]  # set by otklik.settings.security
    response = Client().generic("POST", reverse("login"), b"x", CONTENT_LENGTH=str(limit + 1),
                                content_type="application/octet-stream")
    assert response.status_code == 413
