"""Which SLA policy applies to a ticket (SPEC 5): ordered, first match wins, else the default."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from otklik.accounts.models import Organization
from otklik.core import lookups
from otklik.sla.models import SlaPolicy
from otklik.tickets.models import Category, Priority, RequestType, category_in_subtree


@dataclass(frozen=True)
class TicketFacts:
    """The ticket fields policies match on."""

    organization_id: int | None
    category_id: int | None
    request_type_id: int | None
    priority_id: int | None


@dataclass(frozen=True)
class PolicyRule:
    """One active policy's match sets, by id only (so the rules can be remembered without the rows)."""

    policy_id: int
    is_default: bool
    organization_ids: frozenset[int]
    category_ids: frozenset[int]
    request_type_ids: frozenset[int]
    priority_ids: frozenset[int]

    def matches(self, facts: TicketFacts) -> bool:
        return (
            (not self.organization_ids or facts.organization_id in self.organization_ids)
            and (not self.category_ids or facts.category_id in self.category_ids)
            and (not self.request_type_ids or facts.request_type_id in self.request_type_ids)
            and (not self.priority_ids or facts.priority_id in self.priority_ids)
        )


def _rules(policies: Sequence[SlaPolicy]) -> list[PolicyRule]:
    """The match sets of `policies` (in their order), prefetched as `_active_policies` reads them."""
    needs_subtrees = any(p.include_subcategories and p.categories.all() for p in policies)
    paths: list[tuple[int, str]] = list(Category.objects.values_list("pk", "path")) if needs_subtrees else []
    rules = []
    for policy in policies:
        categories = {c.pk for c in policy.categories.all()}
        if policy.include_subcategories and categories:
            roots = list(policy.categories.all())
            categories |= {pk for pk, path in paths
                           if any(category_in_subtree(root, pk=pk, path=path) for root in roots)}
        rules.append(PolicyRule(
            policy_id=policy.pk,
            is_default=policy.is_default,
            organization_ids=frozenset(o.pk for o in policy.organizations.all()),
            category_ids=frozenset(categories),
            request_type_ids=frozenset(r.pk for r in policy.request_types.all()),
            priority_ids=frozenset(p.pk for p in policy.priorities.all()),
        ))
    return rules


def _active_policies() -> list[SlaPolicy]:
    return list(
        SlaPolicy.objects.filter(is_active=True)
        .select_related("schedule", "responsible_user")
        .prefetch_related("organizations", "categories", "request_types", "priorities")
        .order_by("position", "id")
    )


def _first_match(rules: Sequence[PolicyRule], facts: TicketFacts) -> int | None:
    """The id of the policy that applies: the first matching one by position, else the first default."""
    for rule in rules:
        if not rule.is_default and rule.matches(facts):
            return rule.policy_id
    return next((rule.policy_id for rule in rules if rule.is_default), None)


class PolicyBook:
    """The active policies, loaded once (a handful of queries) and matched in memory."""

    def __init__(self) -> None:
        policies = _active_policies()
        self.rules: list[PolicyRule] = _rules(policies)
        self.by_id = {policy.pk: policy for policy in policies}

    def match(self, facts: TicketFacts) -> SlaPolicy | None:
        policy_id = _first_match(self.rules, facts)
        return None if policy_id is None else self.by_id[policy_id]


# The rules of every active policy, remembered between events (one ticket's create or reply needs one
# policy, not the book): dropped when a policy, its match sets or a category (subtree paths) change, and when
# a row a match set names is deleted (its link goes without a signal, and an emptied set matches everything).
lookups.depends_on("sla.policy_rules", SlaPolicy, Category, Organization, RequestType, Priority, through=(
    SlaPolicy.organizations.through, SlaPolicy.categories.through,
    SlaPolicy.request_types.through, SlaPolicy.priorities.through,
))


def policy_for(facts: TicketFacts) -> SlaPolicy | None:
    """`PolicyBook().match(facts)` for one ticket: matched on the remembered rules, and only the policy that
    applies is read (none at all when no policy applies). A policy deactivated or deleted in another process
    inside the cache's lifetime is not used: the book is then read afresh."""
    policy_id = _first_match(lookups.remembered("sla.policy_rules", lambda: _rules(_active_policies())), facts)
    if policy_id is None:
        return None
    policy = (SlaPolicy.objects.filter(pk=policy_id, is_active=True)
              .select_related("schedule", "responsible_user").first())
    return policy if policy is not None else PolicyBook().match(facts)
