"""Agreement pages."""

from django.urls import path

from ratings import views

app_name = "ratings"

urlpatterns = [
    path("c/<slug:slug>/agreement/", views.agreement_dashboard, name="agreement"),
    path("c/<slug:slug>/agreement/items/", views.agreement_items, name="agreement-items"),
    path("c/<slug:slug>/agreement/items/<int:item_pk>/", views.agreement_item, name="agreement-item"),
    path("rubrics/<int:pk>/compare/", views.rubric_compare, name="rubric-compare"),
]
