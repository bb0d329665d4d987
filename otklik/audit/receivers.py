"""Signal receivers that feed the audit log; connected once in AuditConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.http import HttpRequest

from otklik.audit.context import request_now
from otklik.audit.models import AuditKind
from otklik.audit.services import audit_record
from otklik.audit.tracking import (
    AUDITED_MODELS,
    AUDITED_RELATIONS,
    audited_model,
    difference,
    json_value,
    snapshot,
)

_BEFORE = "_otklik_audit_before"
SEEN_LOG_ENTRIES = "_otklik_audit_seen_log_entries"


def _login_name(credentials: dict[str, Any] | None, request: HttpRequest | None) -> str:
    name = (credentials or {}).get("username") or (credentials or {}).get("email") or ""
    if not name and request is not None and request.method == "POST":
        name = request.POST.get("username", "")
    return str(name).strip().lower()[:254]


def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_record(AuditKind.LOGIN, request=request, actor=user, login_name=getattr(user, "email", ""))


def on_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(AuditKind.LOGOUT, request=request, actor=user)


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Django has already masked the password in `credentials`; only the typed name is kept.
    audit_record(
        AuditKind.LOGIN_FAILED, request=request, actor=None, login_name=_login_name(credentials, request),
        changes={"locked": bool(getattr(request, "axes_locked_out", False))},
    )


def on_locked_out(sender: Any, request: HttpRequest | None, username: str, ip_address: str, **kwargs: Any) -> None:
    audit_record(
        AuditKind.LOCKED_OUT, request=request, actor=None, login_name=(username or "").lower(),
        changes={"ip_address": ip_address},
    )


def _user_creation_is_configuration(instance: models.Model) -> bool:
    # A requester created by an incoming email is intake, not configuration; staff accounts and
    # accounts made by a signed-in person are.
    if instance._meta.label != "accounts.User":
        return True
    request = request_now()
    by_person = request is not None and getattr(getattr(request, "user", None), "is_authenticated", False)
    return bool(by_person or getattr(instance, "is_staff_member", False) or getattr(instance, "is_superuser", False))


def on_pre_save(sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.pk is None or instance._state.adding:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None:
        tracked = set(snapshot(instance))
        if not any(name in tracked or f"{name}_id" in tracked for name in update_fields):
            return
    previous = sender._base_manager.filter(pk=instance.pk).first()
    if previous is not None:
        setattr(instance, _BEFORE, snapshot(previous))


def on_post_save(
    sender: type[models.Model], instance: models.Model, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    after = snapshot(instance)
    if created:
        if _user_creation_is_configuration(instance):
            audit_record(AuditKind.CONFIG_CREATED, obj=instance, changes=difference({}, after))
        return
    before = instance.__dict__.pop(_BEFORE, None)
    if before is None:
        return
    changes = difference(before, after)
    if "password" in changes and _unusable(before.get("password")) and _unusable(after.get("password")):
        # An account that never had a password got another placeholder: nothing changed for anyone.
        del changes["password"]
    if changes:
        audit_record(AuditKind.CONFIG_CHANGED, obj=instance, changes=changes)


def _unusable(password: Any) -> bool:
    return isinstance(password, str) and password.startswith("!")


def on_post_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    audit_record(AuditKind.CONFIG_DELETED, obj=instance, changes={})


def _relation_receiver(owner_label: str, relation: str) -> Any:
    def on_m2m_changed(
        sender: Any, instance: models.Model, action: str, reverse: bool, model: type[models.Model],
        pk_set: set[Any] | None, **kwargs: Any,
    ) -> None:
        if action not in {"post_add", "post_remove", "post_clear"}:
            return
        verb = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
        ids = sorted(json_value(pk) for pk in (pk_set or set()))
        if reverse:
            # Changed from the other side (e.g. user.teams.add(team)): log it on the owner rows.
            owner = audited_model(owner_label)
            if owner is None:
                return
            for row in owner._base_manager.filter(pk__in=pk_set or set()):
                audit_record(AuditKind.CONFIG_CHANGED, obj=row, changes={relation: {verb: [json_value(instance.pk)]}})
            return
        audit_record(AuditKind.CONFIG_CHANGED, obj=instance, changes={relation: {verb: ids}})

    return on_m2m_changed


def on_admin_log_entry(sender: Any, instance: LogEntry, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """Admin changes to models not followed field by field are still audited, from the admin's log."""
    if raw or not created or instance.content_type_id is None:
        return
    request = request_now()
    if request is not None:
        # The middleware sweeps log entries the admin wrote in bulk (no signal); don't record twice.
        seen: set[int] = request.__dict__.setdefault(SEEN_LOG_ENTRIES, set())
        if instance.pk in seen:
            return
        seen.add(instance.pk)
    content_type = instance.content_type
    model = content_type.model_class() if content_type is not None else None
    if model is None or model._meta.label in AUDITED_MODELS or model._meta.app_label in {"audit", "axes"}:
        return
    kind = {
        ADDITION: AuditKind.CONFIG_CREATED, CHANGE: AuditKind.CONFIG_CHANGED, DELETION: AuditKind.CONFIG_DELETED,
    }.get(instance.action_flag, AuditKind.CONFIG_CHANGED)
    entry = audit_record(
        kind, actor=instance.user, changes={"admin": instance.get_change_message()[:1000]},
    )
    if entry is not None:
        entry.object_type = model._meta.label_lower
        entry.object_id = str(instance.object_id or "")[:64]
        entry.object_repr = instance.object_repr[:200]
        entry.save(update_fields=["object_type", "object_id", "object_repr"])


def connect() -> None:
    from axes.signals import user_locked_out

    user_logged_in.connect(on_logged_in, dispatch_uid="otklik_audit_login")
    user_logged_out.connect(on_logged_out, dispatch_uid="otklik_audit_logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="otklik_audit_login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="otklik_audit_locked_out")
    post_save.connect(on_admin_log_entry, sender=LogEntry, dispatch_uid="otklik_audit_admin_log")
    for label in AUDITED_MODELS:
        model = audited_model(label)
        if model is None:
            continue
        pre_save.connect(on_pre_save, sender=model, dispatch_uid=f"otklik_audit_pre_{label}")
        post_save.connect(on_post_save, sender=model, dispatch_uid=f"otklik_audit_post_{label}")
        post_delete.connect(on_post_delete, sender=model, dispatch_uid=f"otklik_audit_delete_{label}")
    for label, relation in AUDITED_RELATIONS:
        model = audited_model(label)
        if model is None:
            continue
        through = getattr(model, relation).through
        m2m_changed.connect(
            _relation_receiver(label, relation), sender=through, dispatch_uid=f"otklik_audit_m2m_{label}_{relation}",
            weak=False,
        )
