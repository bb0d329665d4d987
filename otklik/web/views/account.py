"""Password change (for everyone with a password) and reset by email: Django's auth views, with the
desk's pages and the reset mail sent through the mail outbox (retried, listed in the mail log)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse_lazy

from otklik.mail.outbound import outbound_enqueue
from otklik.web.forms import style_fields


class OutboxPasswordResetForm(PasswordResetForm):
    """The reset mail goes through the outbox like every other mail: a mail server that is down means
    a retry (shown in the mail log), not a traceback in the request; the link starts at OTKLIK_BASE_URL."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)

    def send_mail(self, subject_template_name: str, email_template_name: str, context: dict[str, Any],
                  from_email: str | None, to_email: str, html_email_template_name: str | None = None) -> None:
        context = {**context, "base_url": settings.OTKLIK_BASE_URL}
        subject = " ".join(render_to_string(subject_template_name, context).split())
        body = render_to_string(email_template_name, context)
        outbound_enqueue(to=[to_email], subject=subject, body_text=body, kind="notification", auto_generated=True)


def _styled(view: type[Any], template: str, **options: Any) -> Any:
    return view.as_view(template_name=f"web/account/{template}.html", **options)


class StyledPasswordChangeView(auth_views.PasswordChangeView):
    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        style_fields(form)
        return form


class StyledPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        style_fields(form)
        return form


urlpatterns: list[URLPattern] = [
    path("password/change/", _styled(StyledPasswordChangeView, "password_change",
                                     success_url=reverse_lazy("password_change_done")), name="password_change"),
    path("password/change/done/", _styled(auth_views.PasswordChangeDoneView, "password_change_done"),
         name="password_change_done"),
    path("password/reset/", _styled(
        auth_views.PasswordResetView, "password_reset", form_class=OutboxPasswordResetForm,
        email_template_name="web/account/password_reset_email.txt",
        subject_template_name="web/account/password_reset_subject.txt",
        success_url=reverse_lazy("password_reset_done"),
    ), name="password_reset"),
    path("password/reset/sent/", _styled(auth_views.PasswordResetDoneView, "password_reset_done"),
         name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", _styled(
        StyledPasswordResetConfirmView, "password_reset_confirm", success_url=reverse_lazy("password_reset_complete"),
    ), name="password_reset_confirm"),
    path("password/reset/complete/", _styled(auth_views.PasswordResetCompleteView, "password_reset_complete"),
         name="password_reset_complete"),
]

