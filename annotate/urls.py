"""HTML pages for datasets, rubrics and campaigns."""

from django.urls import path

from annotate.views import campaigns, datasets, invitations, rate, rubrics

app_name = "annotate"

urlpatterns = [
    path("datasets/", datasets.dataset_list, name="dataset-list"),
    path("datasets/upload/", datasets.dataset_upload, name="dataset-upload"),
    path("datasets/upload/<str:token>/map/", datasets.dataset_upload_map, name="dataset-upload-map"),
    path("datasets/<int:pk>/", datasets.dataset_detail, name="dataset-detail"),
    path("datasets/<int:pk>/summary/", datasets.dataset_summary, name="dataset-summary"),
    path("datasets/<int:pk>/items/<int:item_pk>/", datasets.item_detail, name="item-detail"),
    path("rubrics/", rubrics.rubric_list, name="rubric-list"),
    path("rubrics/new/", rubrics.rubric_create, name="rubric-create"),
    path("rubrics/<int:pk>/", rubrics.rubric_detail, name="rubric-detail"),
    path("rubrics/<int:pk>/edit/", rubrics.rubric_edit, name="rubric-edit"),
    path("rubrics/<int:pk>/v/<int:number>/", rubrics.rubric_version_detail, name="rubric-version-detail"),
    path("c/new/", campaigns.campaign_create, name="campaign-create"),
    path("c/<slug:slug>/", campaigns.campaign_detail, name="campaign-detail"),
    path("c/<slug:slug>/status/", campaigns.campaign_status, name="campaign-status"),
    path("c/<slug:slug>/members/", campaigns.campaign_member_add, name="campaign-member-add"),
    path("c/<slug:slug>/members/<int:membership_pk>/", campaigns.campaign_member_update, name="campaign-member-update"),
    # An invitation link: the signed token names the campaign, the role and the invited username.
    path("invite/<str:token>/", invitations.invitation_open, name="invitation"),
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
]
