"""Knowledge base pages: the portal's list, search and article; suggestions while a requester types;
the agent's article picker, similar tickets and reply-to-draft. Thin: one selector or service each."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from otklik.accounts import access
from otklik.accounts.decorators import staff_required
from otklik.core.errors import DomainError, NotFound
from otklik.knowledge import selectors, services
from otklik.knowledge.models import Article, Category, FeedbackKind
from otklik.tickets import selectors as ticket_selectors
from otklik.tickets.models import Ticket
from otklik.web.views.base import current_user, report_error


def _visible_article(request: HttpRequest, slug: str) -> Article:
    article = selectors.article_get_for(current_user(request), slug)
    if article is None:
        raise Http404()
    return article


@login_required
@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    text = request.GET.get("q", "").strip()
    category = request.GET.get("category", "")
    articles: list[Article]
    if text:
        articles = selectors.search_articles(user, text)
    else:
        visible = selectors.articles_visible_to(user).select_related("category")
        if category:
            visible = visible.filter(category__slug=category)
        articles = list(visible.order_by("category__position", "title_en", "id")[:500])
    categories = Category.objects.filter(
        articles__in=selectors.articles_visible_to(user)).annotate(n=Count("articles")).order_by("position")
    page = Paginator(articles, 30).get_page(request.GET.get("page"))
    return render(request, "knowledge/list.html",
                  {"page": page, "q": text, "category": category, "categories": categories})


@login_required
@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    user = current_user(request)
    found = _visible_article(request, slug)
    services.record_feedback(user, found, FeedbackKind.VIEW)
    body = mark_safe(selectors.render_body(found.body))  # noqa: S308 - rendered without raw HTML, then nh3
    return render(request, "knowledge/article.html", {
        "article": found, "body": body, "related": selectors.related_for(user, found),
        "subject": request.GET.get("subject", "")[:500], "voted": request.GET.get("voted") == "1",
    })


@login_required
@require_POST
def vote(request: HttpRequest, slug: str) -> HttpResponse:
    found = _visible_article(request, slug)
    kind = FeedbackKind.HELPFUL if request.POST.get("helpful") == "yes" else FeedbackKind.NOT_HELPFUL
    services.record_feedback(current_user(request), found, kind)
    messages.success(request, _("Thank you for the feedback."))
    return redirect(reverse("knowledge:article", args=[found.slug]) + "?voted=1")


@login_required
@require_POST
def solved(request: HttpRequest, slug: str) -> HttpResponse:
    """The requester's problem is solved by this article: count a deflection; no request is created."""
    found = _visible_article(request, slug)
    services.record_feedback(current_user(request), found, FeedbackKind.DEFLECTION,
                             subject=request.POST.get("subject", ""))
    messages.success(request, _("Glad the article helped. No request was created."))
    return redirect("portal_home")


@login_required
@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """HTMX fragment under the portal's subject field: articles that may answer the question."""
    subject = request.GET.get("subject", "")[:500]
    articles = selectors.suggest_articles(current_user(request), subject)
    return render(request, "knowledge/suggestions.html", {"articles": articles, "subject": subject})


@staff_required
@require_GET
def article_link(request: HttpRequest, slug: str) -> HttpResponse:
    """Plain text for the reply box: the article's title and its full portal address."""
    found = _visible_article(request, slug)
    url = request.build_absolute_uri(reverse("knowledge:article", args=[found.slug]))
    return HttpResponse(f"{found.title}: {url}", content_type="text/plain; charset=utf-8")


@staff_required
@require_POST
def draft_from_message(request: HttpRequest, message_id: int) -> HttpResponse:
    try:
        draft = services.draft_from_message(current_user(request), message_id)
    except NotFound as error:
        raise Http404() from error
    except DomainError as error:
        report_error(request, error, message=message_id)
        return redirect("home")
    messages.success(request, _("A draft article was made from the reply; finish it and publish."))
    return redirect("admin:knowledge_article_change", draft.pk)


@staff_required
@require_GET
def similar(request: HttpRequest, number: int) -> HttpResponse:
    user = current_user(request)
    try:
        found = ticket_selectors.ticket_get_by_number_for(user, number)
    except NotFound as error:
        raise Http404() from error
    if not access.handles(user, found):  # an agent who only asked or watches sees it as a requester does
        raise Http404()
    ticket = Ticket.objects.only("pk", "subject").get(pk=found.pk)
    return render(request, "knowledge/similar.html",
                  {"similar": selectors.similar_tickets(user, ticket), "ticket": ticket})


