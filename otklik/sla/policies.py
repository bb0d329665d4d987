"""Which SLA policy applies to a ticket (SPEC 5): ordered, first match wins, else the default."""

from __future__ import annotations

from dataclasses import dataclass

from otklik.sla.models import SlaPolicy
from otklik.tickets.models import Category, category_in_subtree


@dataclass(frozen=True)
class TicketFacts:
    """The ticket fields policies match on."""

    organization_id: int | None
    category_id: int | None
    request_type_id: int | None
    priority_id: int | None


@dataclass(frozen=True)
class PolicyRule:
    policy: SlaPolicy
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


class PolicyBook:
    """The active policies, loaded once (a handful of queries) and matched in memory."""

    def __init__(self) -> None:
        policies = list(
            SlaPolicy.objects.filter(is_active=True)
            .select_related("schedule", "responsible_user")
            .prefetch_related("organizations", "categories", "request_types", "priorities")
            .order_by("position", "id")
        )
        needs_subtrees = any(p.include_subcategories and p.categories.all() for p in policies)
        paths: list[tuple[int, str]] = list(Category.objects.values_list("pk", "path")) if needs_subtrees else []
        self.rules: list[PolicyRule] = []
        self.default: SlaPolicy | None = None
        for policy in policies:
            categories = {c.pk for c in policy.categories.all()}
            if policy.include_subcategories and categories:
                roots = list(policy.categories.all())
                categories |= {pk for pk, path in paths
                               if any(category_in_subtree(root, pk=pk, path=path) for root in roots)}
            self.rules.append(PolicyRule(
                policy=policy,
                organization_ids=frozenset(o.pk for o in policy.organizations.all()),
                category_ids=frozenset(categories),
                request_type_ids=frozenset(r.pk for r in policy.request_types.all()),
                priority_ids=frozenset(p.pk for p in policy.priorities.all()),
            ))
            if policy.is_default and self.default is None:
                self.default = policy
        self.by_id = {policy.pk: policy for policy in policies}

    def match(self, facts: TicketFacts) -> SlaPolicy | None:
        for rule in self.rules:
            if rule.policy.is_default:
                continue  # the default is the fallback, whatever its position
            if rule.matches(facts):
                return rule.policy
        return self.default
