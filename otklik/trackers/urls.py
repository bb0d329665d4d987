from django.urls import URLPattern, URLResolver, path

from otklik.trackers import views

app_name = "trackers"

urlpatterns: list[URLPattern | URLResolver] = [
    path("hooks/<int:connection_id>/", views.hook, name="hook"),
    path("hooks/<int:connection_id>/<str:token>/", views.hook, name="hook_token"),
    path("tickets/<int:number>/link/", views.link_issue, name="link"),
    path("tickets/<int:number>/unlink/<int:link_id>/", views.unlink_issue, name="unlink"),
    path("tickets/<int:number>/create/", views.create_form, name="create_form"),
    path("tickets/<int:number>/create/send/", views.create_issue, name="create"),
    path("tickets/<int:number>/create/<int:request_id>/retry/", views.retry_create, name="retry"),
    path("tickets/<int:number>/profile/", views.customer_profile, name="profile"),
]
