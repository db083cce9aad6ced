from django.urls import path

from integrations.api import views

urlpatterns = [
    path("integrations", views.IntegrationsApi.as_view(), name="integrations"),
    path(
        "integrations/<str:provider>/sync",
        views.IntegrationSyncApi.as_view(),
        name="integrations-sync",
    ),
    path(
        "integrations/<str:provider>/disconnect",
        views.IntegrationDisconnectApi.as_view(),
        name="integrations-disconnect",
    ),
]
