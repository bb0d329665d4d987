"""Mounted at /api/: the versioned REST API under v1/, plus the token page for people."""

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView

from otklik.api import conversation, macros, pages, reports, trackers, views, webhooks
from otklik.chat import api as chat_api

app_name = "api"

v1: list[URLPattern | URLResolver] = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", pages.docs_page, name="docs"),
    path("me/", views.MeView.as_view(), name="me"),
    path("users/", views.UserListView.as_view(), name="users"),
    path("users/<int:user_id>/", views.UserDetailView.as_view(), name="user"),
    path("organizations/", views.OrganizationListView.as_view(), name="organizations"),
    path("teams/", views.TeamListView.as_view(), name="teams"),
    path("statuses/", views.StatusListView.as_view(), name="statuses"),
    path("priorities/", views.PriorityListView.as_view(), name="priorities"),
    path("categories/", views.CategoryListView.as_view(), name="categories"),
    path("request-types/", views.RequestTypeListView.as_view(), name="request-types"),
    path("request-types/<slug:code>/", views.RequestTypeDetailView.as_view(), name="request-type"),
    path("tickets/", views.TicketListView.as_view(), name="tickets"),
    path("tickets/<int:number>/", views.TicketDetailView.as_view(), name="ticket"),
    path("tickets/<int:number>/messages/", conversation.TicketMessagesView.as_view(), name="ticket-messages"),
    path("tickets/<int:number>/replies/", conversation.TicketRepliesView.as_view(), name="ticket-replies"),
    path("tickets/<int:number>/notes/", conversation.TicketNotesView.as_view(), name="ticket-notes"),
    path("tickets/<int:number>/events/", conversation.TicketEventsView.as_view(), name="ticket-events"),
    path("tickets/<int:number>/attachments/", conversation.TicketAttachmentsView.as_view(), name="ticket-attachments"),
    path("tickets/<int:number>/status/", views.TicketStatusView.as_view(), name="ticket-status"),
    path("tickets/<int:number>/assign/", views.TicketAssignView.as_view(), name="ticket-assign"),
    path("tickets/<int:number>/resolve/", views.TicketResolveView.as_view(), name="ticket-resolve"),
    path("tickets/<int:number>/close/", views.TicketCloseView.as_view(), name="ticket-close"),
    path("tickets/<int:number>/reopen/", views.TicketReopenView.as_view(), name="ticket-reopen"),
    path("tickets/<int:number>/merge/", views.TicketMergeView.as_view(), name="ticket-merge"),
    path("tickets/<int:number>/sla/", views.TicketSlaView.as_view(), name="ticket-sla"),
    path("tickets/<int:number>/links/", conversation.TicketLinksView.as_view(), name="ticket-links"),
    path(
        "tickets/<int:number>/links/external/",
        trackers.TicketExternalLinksView.as_view(),
        name="ticket-external-links",
    ),
    path(
        "tickets/<int:number>/links/external/<int:link_id>/",
        trackers.TicketExternalLinkView.as_view(),
        name="ticket-external-link",
    ),
    path(
        "tickets/<int:number>/macros/<int:macro_id>/apply/",
        macros.TicketMacroApplyView.as_view(),
        name="ticket-macro-apply",
    ),
    path("macros/", macros.MacroListView.as_view(), name="macros"),
    path("tickets/<int:number>/rating/", views.TicketRateView.as_view(), name="ticket-rating"),
    path("tickets/<int:number>/watchers/", views.TicketWatchersView.as_view(), name="ticket-watchers"),
    path(
        "tickets/<int:number>/watchers/<int:user_id>/",
        views.TicketWatcherView.as_view(),
        name="ticket-watcher",
    ),
    path("attachments/<str:token>/", conversation.AttachmentDownloadView.as_view(), name="attachment-download"),
    # Support chats; `reports/first-line/` must stay before any generic `reports/<name>/` route.
    path("chats/", chat_api.ChatListView.as_view(), name="chats"),
    path("chats/<int:chat_id>/", chat_api.ChatDetailView.as_view(), name="chat"),
    path("chats/<int:chat_id>/messages/", chat_api.ChatMessagesView.as_view(), name="chat-messages"),
    path(
        "chats/<int:chat_id>/messages/<int:message_id>/ticket/",
        chat_api.ChatMessageTicketView.as_view(),
        name="chat-message-ticket",
    ),
    path("chats/<int:chat_id>/dialogs/", chat_api.ChatDialogsView.as_view(), name="chat-dialogs"),
    path("reports/first-line/", chat_api.FirstLineReportView.as_view(), name="report-first-line"),
    path("webhooks/", webhooks.SubscriptionListView.as_view(), name="webhooks"),
    path("webhooks/<int:subscription_id>/", webhooks.SubscriptionDetailView.as_view(), name="webhook"),
    path(
        "webhooks/<int:subscription_id>/deliveries/",
        webhooks.DeliveryListView.as_view(),
        name="webhook-deliveries",
    ),
    path(
        "webhooks/<int:subscription_id>/deliveries/<int:delivery_id>/redeliver/",
        webhooks.RedeliverView.as_view(),
        name="webhook-redeliver",
    ),
    # Reports: one explicit route each, so the chat app's reports/first-line/ sits beside them.
    path("reports/overview/", reports.OverviewView.as_view(), name="report-overview"),
    path("reports/second-line/", reports.SecondLineView.as_view(), name="report-second-line"),
    path("reports/breakdown/", reports.BreakdownView.as_view(), name="report-breakdown"),
    path("reports/load/", reports.LoadView.as_view(), name="report-load"),
    path("reports/sla/", reports.SlaView.as_view(), name="report-sla"),
    path("reports/csat/", reports.CsatView.as_view(), name="report-csat"),
    path("reports/specialists/", reports.SpecialistsView.as_view(), name="report-specialists"),
    path("reports/forecast/", reports.ForecastView.as_view(), name="report-forecast"),
    path("reports/knowledge/", reports.KnowledgeView.as_view(), name="report-knowledge"),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("v1/", include(v1)),
    path("tokens/", pages.tokens_page, name="tokens"),
    path("tokens/<int:token_id>/revoke/", pages.token_revoke_page, name="token-revoke"),
]
