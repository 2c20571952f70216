"""The campaign pages: the campaign, its gold items, the rating page and the agreement pages."""

from django.urls import path

from ratings.views import adjudicate, agreement, campaigns, data_card, leaderboard, rate, rubric_compare
from ratings.views import export as export_views

app_name = "ratings"

urlpatterns = [
    # A campaign: progress, members, settings and gold items.
    path("c/new/", campaigns.campaign_create, name="campaign-create"),
    path("c/<slug:slug>/", campaigns.campaign_detail, name="campaign-detail"),
    path("c/<slug:slug>/status/", campaigns.campaign_status, name="campaign-status"),
    path("c/<slug:slug>/settings/", campaigns.campaign_settings, name="campaign-settings"),
    path("c/<slug:slug>/members/", campaigns.campaign_member_add, name="campaign-member-add"),
    path("c/<slug:slug>/members/<int:membership_pk>/", campaigns.campaign_member_update, name="campaign-member-update"),
    path("c/<slug:slug>/rates/", campaigns.campaign_rates, name="campaign-rates"),
    path("c/<slug:slug>/gold/", campaigns.campaign_gold, name="campaign-gold"),
    path("c/<slug:slug>/gold/remove/", campaigns.campaign_gold_remove, name="campaign-gold-remove"),
    # The rating page and the rater's own ratings.
    path("c/<slug:slug>/rate/", rate.rate, name="rate"),
    path("c/<slug:slug>/rate/next/", rate.rate_submit, name="rate-submit"),
    path("c/<slug:slug>/rate/skip/", rate.rate_skip, name="rate-skip"),
    path("c/<slug:slug>/rate/flag/", rate.rate_flag, name="rate-flag"),
    path("c/<slug:slug>/rate/back/", rate.rate_back, name="rate-back"),
    path("c/<slug:slug>/my-ratings/", rate.my_ratings, name="my-ratings"),
    path("c/<slug:slug>/my-ratings/<int:rating_pk>/", rate.rating_revise_view, name="rating-revise"),
    # Agreement of a campaign's raters, and rubric versions compared.
    path("c/<slug:slug>/agreement/", agreement.agreement_dashboard, name="agreement"),
    path("c/<slug:slug>/agreement/items/", agreement.agreement_items, name="agreement-items"),
    path("c/<slug:slug>/agreement/items/<int:item_pk>/", agreement.agreement_item, name="agreement-item"),
    path("c/<slug:slug>/leaderboard/", leaderboard.campaign_leaderboard, name="leaderboard"),
    # Adjudication: the queue, one item's decision, sending items, and the campaign's flags and skips.
    path("c/<slug:slug>/adjudicate/", adjudicate.adjudication_queue_page, name="adjudicate"),
    path("c/<slug:slug>/adjudicate/next/", adjudicate.adjudication_next, name="adjudicate-next"),
    path("c/<slug:slug>/adjudicate/settings/", adjudicate.adjudication_settings, name="adjudicate-settings"),
    path("c/<slug:slug>/adjudicate/<int:item_pk>/", adjudicate.adjudication_item, name="adjudicate-item"),
    path("c/<slug:slug>/adjudicate/<int:item_pk>/send/", adjudicate.adjudication_send_view, name="adjudicate-send"),
    path("c/<slug:slug>/flags/", adjudicate.campaign_flags, name="campaign-flags"),
    path("c/<slug:slug>/data-card.md", data_card.data_card, name="data-card"),
    # Exports of a campaign's labels: the page, and a large export's progress and file.
    path("c/<slug:slug>/export/", export_views.export_page, name="export"),
    path("c/<slug:slug>/export/<uuid:pk>/", export_views.export_progress, name="export-progress"),
    path("c/<slug:slug>/export/<uuid:pk>/download/", export_views.export_download, name="export-download"),
    path("rubrics/<int:pk>/compare/", rubric_compare.rubric_compare, name="rubric-compare"),
]
