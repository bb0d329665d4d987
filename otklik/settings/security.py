"""Settings of the security part, applied to the settings namespace by base.py.

What each block protects is explained in docs/security.md; every value can be tuned from the environment.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from django.utils.csp import CSP


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _insert_after(middleware: list[str], anchor: str, entry: str) -> None:
    if entry in middleware:
        return
    position = middleware.index(anchor) + 1 if anchor in middleware else len(middleware)
    middleware.insert(position, entry)


def content_security_policy(*, https: bool) -> dict[str, Any]:
    """A strict policy: no inline script or style (a per-request nonce is the only exception), no plugins,
    no framing, no foreign origins. Images may be data: URIs (QR codes, small inline icons)."""
    policy: dict[str, Any] = {
        "default-src": [CSP.SELF],
        "script-src": [CSP.SELF, CSP.NONCE],
        "style-src": [CSP.SELF, CSP.NONCE],
        "img-src": [CSP.SELF, "data:"],
        "font-src": [CSP.SELF],
        "connect-src": [CSP.SELF],
        "media-src": [CSP.SELF],
        "object-src": [CSP.NONE],
        "frame-src": [CSP.NONE],
        "worker-src": [CSP.SELF],
        "base-uri": [CSP.NONE],
        "form-action": [CSP.SELF],
        "frame-ancestors": [CSP.NONE],
    }
    if https:
        policy["upgrade-insecure-requests"] = True
    return policy


def configure(settings: dict[str, Any]) -> None:
    """Add or adjust settings of this part; called once at the end of base.py."""
    installed: list[str] = settings["INSTALLED_APPS"]
    for app in ("django_otp", "django_otp.plugins.otp_totp", "django_otp.plugins.otp_static", "axes"):
        if app not in installed:
            installed.append(app)

    middleware: list[str] = settings["MIDDLEWARE"]
    _insert_after(middleware, "django.middleware.security.SecurityMiddleware",
                  "django.middleware.csp.ContentSecurityPolicyMiddleware")
    _insert_after(middleware, "django.middleware.csp.ContentSecurityPolicyMiddleware",
                  "otklik.security.middleware.SecurityHeadersMiddleware")
    _insert_after(middleware, "otklik.security.middleware.SecurityHeadersMiddleware",
                  "otklik.security.middleware.RequestSizeLimitMiddleware")
    auth = "django.contrib.auth.middleware.AuthenticationMiddleware"
    _insert_after(middleware, auth, "django_otp.middleware.OTPMiddleware")
    _insert_after(middleware, "django_otp.middleware.OTPMiddleware", "otklik.audit.middleware.AuditContextMiddleware")
    _insert_after(middleware, "otklik.audit.middleware.AuditContextMiddleware",
                  "otklik.security.middleware.TwoFactorMiddleware")
    _insert_after(middleware, "otklik.security.middleware.TwoFactorMiddleware",
                  "otklik.security.middleware.SessionActivityMiddleware")
    # Axes turns a lockout flagged during authentication into the lockout page; it must wrap the views.
    if "axes.middleware.AxesMiddleware" not in middleware:
        middleware.append("axes.middleware.AxesMiddleware")

    processors: list[str] = settings["TEMPLATES"][0]["OPTIONS"]["context_processors"]
    if "django.template.context_processors.csp" not in processors:
        processors.append("django.template.context_processors.csp")

    # Passwords: Argon2id first; older hashes still verify and are upgraded at the next sign-in.
    settings["PASSWORD_HASHERS"] = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
    ]
    validators: list[dict[str, Any]] = settings.setdefault("AUTH_PASSWORD_VALIDATORS", [])
    minimum = {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": int(os.environ.get("OTKLIK_PASSWORD_MIN_LENGTH", "10"))},
    }
    validators[:] = [v for v in validators if not v["NAME"].endswith("MinimumLengthValidator")]
    validators.insert(0, minimum)
    for name in ("UserAttributeSimilarityValidator", "NumericPasswordValidator"):
        full = f"django.contrib.auth.password_validation.{name}"
        if not any(v["NAME"] == full for v in validators):
            validators.append({"NAME": full})

    # Sign-in throttling: the lockout check runs first, then the ordinary password check.
    settings["AUTHENTICATION_BACKENDS"] = [
        "otklik.security.backends.LockoutBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    settings["AXES_ENABLED"] = _env_bool("OTKLIK_LOCKOUT_ENABLED", True)
    settings["AXES_FAILURE_LIMIT"] = int(os.environ.get("OTKLIK_LOCKOUT_FAILURES", "5"))
    settings["AXES_COOLOFF_TIME"] = timedelta(minutes=int(os.environ.get("OTKLIK_LOCKOUT_MINUTES", "15")))
    # Locking the account name alone would let anyone lock a colleague out; the pair blocks guessing
    # from one place without handing out that denial of service.
    settings["AXES_LOCKOUT_PARAMETERS"] = [["username", "ip_address"]]
    settings["AXES_RESET_ON_SUCCESS"] = True
    settings["AXES_USERNAME_FORM_FIELD"] = "username"
    settings["AXES_USERNAME_CALLABLE"] = "otklik.security.lockout.login_name"
    settings["AXES_CLIENT_IP_CALLABLE"] = "otklik.security.lockout.client_ip"
    settings["AXES_LOCKOUT_CALLABLE"] = "otklik.security.lockout.lockout_response"
    settings["AXES_VERBOSE"] = False
    # Axes logs every sign-in at INFO; failures and lockouts reach the audit log, so keep its own quiet.
    logging_config: dict[str, Any] = settings.setdefault("LOGGING", {})
    logging_config.setdefault("loggers", {}).setdefault("axes", {"level": "WARNING"})
    settings["OTKLIK_TRUSTED_PROXY_COUNT"] = int(os.environ.get("OTKLIK_TRUSTED_PROXY_COUNT", "0"))

    # Two-factor: who must use it, besides anyone who enrolled (also editable in the admin, per role and
    # per user). A comma list of roles: agent, auditor, manager, admin.
    settings["OTKLIK_2FA_REQUIRED_ROLES"] = [
        role.strip() for role in os.environ.get("OTKLIK_2FA_REQUIRED_ROLES", "").split(",") if role.strip()
    ]
    settings["OTP_TOTP_ISSUER"] = os.environ.get("OTKLIK_2FA_ISSUER", "Otklik")
    settings["OTP_ADMIN_HIDE_SENSITIVE_DATA"] = True
    settings["OTP_TOTP_THROTTLE_FACTOR"] = 1
    settings["OTP_STATIC_THROTTLE_FACTOR"] = 1

    # Cookies: never readable by scripts, not sent on cross-site subrequests; Secure behind HTTPS.
    https = bool(settings.get("SESSION_COOKIE_SECURE")) or _env_bool("HTTPS", False)
    settings["SESSION_COOKIE_HTTPONLY"] = True
    settings["SESSION_COOKIE_SAMESITE"] = "Lax"
    settings["CSRF_COOKIE_SAMESITE"] = "Lax"
    settings["SESSION_COOKIE_AGE"] = int(os.environ.get("OTKLIK_SESSION_SECONDS", str(12 * 3600)))
    if https:
        settings["SESSION_COOKIE_SECURE"] = True
        settings["CSRF_COOKIE_SECURE"] = True
        # The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and Path=/.
        settings["SESSION_COOKIE_NAME"] = "__Host-otklik_session"
        settings["CSRF_COOKIE_NAME"] = "__Host-otklik_csrf"
        settings["SECURE_HSTS_SECONDS"] = int(os.environ.get("OTKLIK_HSTS_SECONDS", str(365 * 24 * 3600)))
        settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] = _env_bool("OTKLIK_HSTS_SUBDOMAINS", False)
        settings["SECURE_SSL_REDIRECT"] = _env_bool("OTKLIK_SSL_REDIRECT", False)
    if _env_bool("OTKLIK_BEHIND_PROXY", False):
        settings["SECURE_PROXY_SSL_HEADER"] = ("HTTP_X_FORWARDED_PROTO", "https")

    # Headers: no sniffing, no framing, no referrer leaks to other sites, an isolated browsing context.
    settings["SECURE_CONTENT_TYPE_NOSNIFF"] = True
    settings["X_FRAME_OPTIONS"] = "DENY"
    settings["SECURE_REFERRER_POLICY"] = "same-origin"
    settings["SECURE_CROSS_ORIGIN_OPENER_POLICY"] = "same-origin"
    settings["SECURE_CSP"] = content_security_policy(https=https)
    settings["OTKLIK_PERMISSIONS_POLICY"] = (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
    )

    # Whole-request ceiling, refused before the body is read; per-file limits are checked by the services.
    max_upload = int(settings.get("OTKLIK_MAX_UPLOAD_BYTES", 25 * 1024 * 1024))
    settings["OTKLIK_MAX_REQUEST_BYTES"] = int(
        os.environ.get("OTKLIK_MAX_REQUEST_BYTES", str(max_upload * 4 + 1024 * 1024))
    )
