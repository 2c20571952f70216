"""REST API, version 1."""

from django.urls import path

from annotate import api

app_name = "api"

urlpatterns = [
    path("datasets/", api.DatasetListApi.as_view(), name="dataset-list"),
    path("datasets/<int:pk>/items/", api.DatasetItemsImportApi.as_view(), name="dataset-items-import"),
    path("imports/<uuid:pk>/", api.ImportRunDetailApi.as_view(), name="import-detail"),
    path("rubrics/", api.RubricListApi.as_view(), name="rubric-list"),
    path("campaigns/", api.CampaignListApi.as_view(), name="campaign-list"),
]
