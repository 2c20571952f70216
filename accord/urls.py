"""Root URLs: the apps, accounts, the API and its documentation, the icon; the error pages."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from accord import accounts, pages
from accord.api_docs import SchemaView
from annotate.views.home import home

urlpatterns = [
    path("", home, name="home"),
    path("favicon.ico", pages.favicon, name="favicon"),
    # Ahead of Django's own: without a mail server, these say how to get a new password instead of claiming a mail.
    path("accounts/password_reset/", accounts.password_reset, name="password_reset"),
    path("accounts/password_reset/done/", accounts.password_reset_done, name="password_reset_done"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("annotate.api_urls")),
    path("api/v1/", include("ratings.api_urls")),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("ratings.upload_urls")),
    path("", include("ratings.urls")),
    path("", include("annotate.urls")),
]

handler400 = pages.bad_request
handler403 = pages.permission_denied
handler404 = pages.page_not_found
handler500 = pages.server_error
