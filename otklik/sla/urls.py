from django.urls import URLPattern, URLResolver, path

from otklik.sla import views

app_name = "sla"

urlpatterns: list[URLPattern | URLResolver] = [
    path("overdue/", views.overdue, name="overdue"),
    path("due-soon/", views.due_soon, name="due_soon"),
    path("tickets/<int:number>/", views.ticket_ledger, name="ticket"),
    path("tickets/<int:number>/due/", views.ticket_override, name="override"),
]
