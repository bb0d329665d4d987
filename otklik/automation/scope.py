"""Where a canned reply or a macro belongs, and so who is offered it and who edits it: one rule for both.

With an owner it is personal; with a team (and no owner) it is that team's; with neither it is shared
by every agent and only administrators change it."""

from __future__ import annotations

from django.db.models import Q

from otklik.accounts.models import Role, User


def offered_to(agent: User) -> Q:
    """Rows the agent is offered: shared ones, their own, and their teams'."""
    mine = Q(owner__isnull=True) | Q(owner_id=agent.pk)
    teams = Q(team__isnull=True) | Q(team__members=agent.pk)
    return mine & teams


def managed_in_workspace(agent: User) -> Q:
    """Rows the agent manages from the workspace: personal ones and their teams' (shared ones: the admin)."""
    return Q(owner_id=agent.pk) | Q(team__members=agent.pk, owner__isnull=True)


def may_manage(actor: User, *, owner_id: int | None, team_id: int | None) -> bool:
    """Personal rows are their owner's; a team's rows are its writing members'; shared ones
    (no owner, no team) are the administrators'."""
    if not (actor.is_superuser or actor.can_write):
        return False
    if owner_id is not None:
        return owner_id == actor.pk
    if team_id is not None:
        return actor.is_superuser or actor.role == Role.ADMIN or actor.teams.filter(pk=team_id).exists()
    return bool(actor.is_superuser or actor.role == Role.ADMIN)
