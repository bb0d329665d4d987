"""The two result pages of a company sign-in that did not finish, in Otklik's layout (allauth's own views
link to its local sign-in pages, which Otklik does not mount)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def login_cancelled(request: HttpRequest) -> HttpResponse:
    return render(request, "socialaccount/login_cancelled.html")


@require_GET
def login_error(request: HttpRequest) -> HttpResponse:
    return render(request, "socialaccount/authentication_error.html")
