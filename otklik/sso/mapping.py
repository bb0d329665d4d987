"""Roles and teams from directory groups or token claims: one rule for OpenID Connect and LDAP."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q

from otklik.accounts.models import Role, Team, User
from otklik.sso.models import GroupMapping, MappingSource

logger = logging.getLogger(__name__)

# When several groups give a role, the one that can do most wins.
ROLE_RANK: dict[str, int] = {
    Role.REQUESTER.value: 0,
    Role.AUDITOR.value: 1,
    Role.AGENT.value: 2,
    Role.MANAGER.value: 3,
    Role.ADMIN.value: 4,
}


def claim_values(raw: object) -> set[str]:
    """A claim may be a list, a single string or a comma list; values compare without case."""
    if raw is None:
        return set()
    items: Iterable[object] = raw if isinstance(raw, list | tuple | set) else str(raw).split(",")
    return {str(item).strip().lower() for item in items if str(item).strip()}


@transaction.atomic
def apply_group_mappings(*, user: User, source: str, values: set[str], provider_id: int | None = None) -> bool:
    """Set the person's role and team memberships from their groups; True when something changed.

    Superusers keep their role: a directory group must not be able to demote the last administrator.
    """
    rows = GroupMapping.objects.filter(source=source)
    if source == MappingSource.OIDC:
        mine = Q(provider__isnull=True) | Q(provider_id=provider_id) if provider_id else Q(provider__isnull=True)
        rows = rows.filter(mine)
    mappings = list(rows.select_related("team"))
    if not mappings:
        return False
    wanted = {value.lower() for value in values}
    matched = [row for row in mappings if row.value.strip().lower() in wanted]
    changed = False

    if any(row.role for row in mappings) and not user.is_superuser:
        roles = [row.role for row in matched if row.role] or [Role.REQUESTER.value]
        role = max(roles, key=lambda name: ROLE_RANK.get(name, 0))
        if user.role != role:
            logger.info("sso: role of user %s set to %s from %s groups", user.pk, role, source)
            user.role = role
            user.save(update_fields=["role"])
            changed = True

    managed_teams = {row.team_id for row in mappings if row.team_id}
    if managed_teams:
        should = {row.team_id for row in matched if row.team_id}
        current = set(Team.objects.filter(members=user, pk__in=managed_teams).values_list("pk", flat=True))
        to_add, to_remove = should - current, current - should
        through = Team.members.through
        if to_add:
            through.objects.bulk_create([through(team_id=team_id, user_id=user.pk) for team_id in to_add])
        if to_remove:
            through.objects.filter(user_id=user.pk, team_id__in=to_remove).delete()
        changed = changed or bool(to_add or to_remove)
    return changed
