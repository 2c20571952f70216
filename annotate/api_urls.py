"""REST API, version 1: datasets, items and rubrics."""

from annotate import dataset_api, rubric_api

app_name = "api"

urlpatterns = [*dataset_api.urlpatterns, *rubric_api.urlpatterns]
