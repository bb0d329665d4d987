from django.urls import URLPattern, URLResolver, path

from otklik.knowledge import views

app_name = "knowledge"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.article_list, name="list"),
    path("suggest/", views.suggest, name="suggest"),
    path("from-message/<int:message_id>/", views.draft_from_message, name="draft_from_message"),
    path("similar/<int:number>/", views.similar, name="similar"),
    path("report/", views.report, name="report"),
    path("f/<str:token>/", views.file_download, name="file"),
    path("edit/<int:pk>/files/", views.file_manager, name="files"),
    path("a/<slug:slug>/", views.article, name="article"),
    path("a/<slug:slug>/link/", views.article_link, name="article_link"),
    path("a/<slug:slug>/text/", views.article_text, name="article_text"),
    path("a/<slug:slug>/vote/", views.vote, name="vote"),
    path("a/<slug:slug>/solved/", views.solved, name="solved"),
]
