"""URLs for importing existing labels into a campaign."""

from django.urls import path

from ratings import upload

app_name = "ratings-upload"

urlpatterns = [
    path("c/<slug:slug>/ratings/import/", upload.ratings_import_view, name="ratings-import"),
    path("c/<slug:slug>/ratings/import/<uuid:pk>/", upload.ratings_import_progress, name="ratings-import-progress"),
]
