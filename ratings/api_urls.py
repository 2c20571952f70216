"""REST API, version 1: campaigns, rating, agreement, leaderboards, adjudication and exports."""

from django.urls import path, re_path

from ratings import adjudication_api, api, campaign_api, export_api, machine_api, rating_api, rubric_compare_api
from ratings.leaderboard_api import CampaignLeaderboardApi

app_name = "ratings-api"

urlpatterns = [
    *campaign_api.urlpatterns,
    *rating_api.urlpatterns,
    *adjudication_api.urlpatterns,
    *rubric_compare_api.urlpatterns,
    # With or without the trailing slash, as clients write it.
    re_path(
        r"^campaigns/(?P<slug>[-a-zA-Z0-9_]+)/agreement/?$",
        api.CampaignAgreementApi.as_view(),
        name="campaign-agreement",
    ),
    re_path(
        r"^campaigns/(?P<slug>[-a-zA-Z0-9_]+)/leaderboard/?$",
        CampaignLeaderboardApi.as_view(),
        name="campaign-leaderboard",
    ),
    re_path(
        r"^campaigns/(?P<slug>[-a-zA-Z0-9_]+)/export/?$",
        export_api.CampaignExportApi.as_view(),
        name="campaign-export",
    ),
    re_path(
        r"^campaigns/(?P<slug>[-a-zA-Z0-9_]+)/machine-ratings/?$",
        machine_api.MachineRatingsCreateApi.as_view(),
        name="campaign-machine-ratings",
    ),
    re_path(
        r"^campaigns/(?P<slug>[-a-zA-Z0-9_]+)/machine-raters/?$",
        machine_api.MachineRaterListApi.as_view(),
        name="campaign-machine-raters",
    ),
    path("exports/<uuid:pk>/", export_api.ExportRunDetailApi.as_view(), name="export-detail"),
    path("exports/<uuid:pk>/file/", export_api.ExportRunFileApi.as_view(), name="export-file"),
]
