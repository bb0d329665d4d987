from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path

from otklik.web.views import agent, common, maillog, portal, ticket

urlpatterns: list[URLPattern | URLResolver] = [
    path("", common.home, name="home"),
    path("tickets/new/", agent.ticket_new, name="ticket_new"),
    path("tickets/bulk/", agent.bulk_action, name="ticket_bulk"),
    path("tickets/<int:number>/", common.ticket, name="ticket"),
    path("tickets/<int:number>/next/", agent.ticket_next, name="ticket_next"),
    path("tickets/<int:number>/update/", ticket.ticket_update, name="ticket_update"),
    path("tickets/<int:number>/fields/", ticket.ticket_fields, name="ticket_fields"),
    path("tickets/<int:number>/reply/", ticket.ticket_reply, name="ticket_reply"),
    path("tickets/<int:number>/note/", ticket.ticket_note, name="ticket_note"),
    path("tickets/<int:number>/watchers/", ticket.ticket_watchers, name="ticket_watchers"),
    path("tickets/<int:number>/link/", ticket.ticket_link, name="ticket_link_add"),
    path("tickets/<int:number>/merge/", ticket.ticket_merge, name="ticket_merge"),
    path("tickets/<int:number>/canned/<int:pk>/", ticket.canned_reply_text, name="ticket_canned"),
    path("views/", agent.saved_view_create, name="saved_view_create"),
    path("views/<int:pk>/delete/", agent.saved_view_delete, name="saved_view_delete"),
    path("search/", agent.search, name="search"),
    path("mail-log/", maillog.mail_log, name="mail_log"),
    path("portal/", portal.my_requests, name="portal_home"),
    path("portal/new/", portal.catalogue, name="portal_catalogue"),
    path("portal/new/<slug:code>/", portal.submit, name="portal_submit"),
    path("portal/requests/<int:number>/created/", portal.created, name="portal_created"),
    path("portal/requests/<int:number>/reply/", portal.reply, name="portal_reply"),
    path("portal/requests/<int:number>/close/", portal.close, name="portal_close"),
    path("portal/requests/<int:number>/reopen/", portal.reopen, name="portal_reopen"),
    path("portal/requests/<int:number>/rate/", portal.rate, name="portal_rate"),
    path("r/<str:token>/", common.ticket_link, name="ticket_link"),
    path("files/<str:token>/", common.attachment, name="attachment"),
    path("profile/", common.profile, name="profile"),
    path("language/", common.set_language, name="set_language_web"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health/", common.health, name="health"),
]
