"""REST API, version 1: agreement."""

from django.urls import re_path

from ratings import api

app_name = "ratings-api"

urlpatterns = [
    # With or without the trailing slash, as clients write it.
    re_path(
        r"^campaigns/(?P<slug>[-a-zA-Z0-9_]+)/agreement/?$",
        api.CampaignAgreementApi.as_view(),
        name="campaign-agreement",
    ),
]
