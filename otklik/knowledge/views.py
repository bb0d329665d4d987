"""Knowledge base pages: the portal's list, search and article; suggestions while a requester types;
the agent's article picker, similar tickets and reply-to-draft. Thin: one selector or service each."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from otklik.accounts import access
from otklik.accounts.decorators import staff_required
from otklik.core.errors import DomainError, NotFound
from otklik.knowledge import selectors, services
from otklik.knowledge.models import Article, ArticleAttachment, Category, FeedbackKind
from otklik.reports.views import export_for_request, report_for_request
from otklik.security.downloads import attachment_file_response, wants_preview
from otklik.tickets import selectors as ticket_selectors
from otklik.tickets.models import Ticket
from otklik.web.forms import as_inbound
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
    files = selectors.article_files(found, found.shown_language)
    body = mark_safe(selectors.render_body(found.body, files))  # noqa: S308 - rendered without raw HTML, then nh3
    return render(request, "knowledge/article.html", {
        "article": found, "body": body, "related": selectors.related_for(user, found),
        "files": [(item, selectors.file_url(item)) for item in files],
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




@staff_required
@require_GET
def article_text(request: HttpRequest, slug: str) -> HttpResponse:
    """Plain text for the reply box: the article's text in the reply's language (`?lang=`), then its address."""
    found = _visible_article(request, slug)
    text = selectors.reply_text(found, request.GET.get("lang", ""), request.build_absolute_uri)
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@login_required
@require_GET
def file_download(request: HttpRequest, token: str) -> FileResponse:
    """An article's file, to whoever may read the article; images inline only with `?inline=1`."""
    found = selectors.article_files_visible_to(current_user(request)).filter(token=token).first()
    if found is None:
        raise Http404()
    return attachment_file_response(found, preview=wants_preview(request))


@staff_required
@require_http_methods(["GET", "POST"])
def file_manager(request: HttpRequest, pk: int) -> HttpResponse:
    """The editor's page of an article's files (linked from the admin): list, upload, delete."""
    user = current_user(request)
    if not selectors.may_edit_articles(user):
        raise Http404()
    found = get_object_or_404(Article, pk=pk)
    if request.method == "POST":
        try:
            if "delete" in request.POST:
                chosen = request.POST["delete"]
                attachment = get_object_or_404(ArticleAttachment, pk=int(chosen) if chosen.isdigit() else 0,
                                               article=found)
                services.article_file_delete(user, attachment)
                messages.success(request, _("The file was deleted."))
            else:
                stored = services.article_files_add(
                    user, found, as_inbound(request.FILES.getlist("files")),
                    language=request.POST.get("language", ""), now=timezone.now(),
                )
                messages.success(request, _("Files added: %(count)d.") % {"count": len(stored)})
        except DomainError as error:
            report_error(request, error, article=found.pk)
        return redirect("knowledge:files", found.pk)
    items = selectors.article_files(found)
    return render(request, "knowledge/files.html", {
        "article": found, "files": [(item, selectors.file_url(item)) for item in items],
        "languages": ArticleAttachment._meta.get_field("language").choices,
    })


@staff_required
@require_GET
def report(request: HttpRequest) -> HttpResponseBase:
    """Deflections, most viewed articles and helpfulness for a period (the reports' `knowledge` entry)."""
    filters, data, _valid = report_for_request(request, "knowledge")
    exported = export_for_request(request, "knowledge", filters, data)
    if exported is not None:
        return exported
    return render(request, "knowledge/report.html", {
        "data": data, "filters": filters, "query": filters.query(),
        "peak": max((row["deflections"] for row in data["trend"]), default=0) or 1,
    })
