"""HTML pages for datasets, rubrics and invitations to campaigns."""

from django.urls import path

from annotate.views import api_tokens, datasets, invitations, rubrics

app_name = "annotate"

urlpatterns = [
    path("datasets/", datasets.dataset_list, name="dataset-list"),
    path("datasets/upload/", datasets.dataset_upload, name="dataset-upload"),
    path("datasets/upload/<str:token>/map/", datasets.dataset_upload_map, name="dataset-upload-map"),
    path("datasets/imports/<uuid:pk>/", datasets.dataset_import_progress, name="dataset-import"),
    path("datasets/<int:pk>/", datasets.dataset_detail, name="dataset-detail"),
    path("datasets/<int:pk>/summary/", datasets.dataset_summary, name="dataset-summary"),
    path("datasets/<int:pk>/items/<int:item_pk>/", datasets.item_detail, name="item-detail"),
    path("rubrics/", rubrics.rubric_list, name="rubric-list"),
    path("rubrics/new/", rubrics.rubric_create, name="rubric-create"),
    path("rubrics/<int:pk>/", rubrics.rubric_detail, name="rubric-detail"),
    path("rubrics/<int:pk>/edit/", rubrics.rubric_edit, name="rubric-edit"),
    path("rubrics/<int:pk>/v/<int:number>/", rubrics.rubric_version_detail, name="rubric-version-detail"),
    # An invitation link: the signed token names the campaign, the role and the invited username.
    path("invite/<str:token>/", invitations.invitation_open, name="invitation"),
    path("accounts/tokens/", api_tokens.api_token_list, name="api-tokens"),
    path("accounts/tokens/<int:pk>/revoke/", api_tokens.api_token_revoke_view, name="api-token-revoke"),
]
