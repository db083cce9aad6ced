from django.urls import path

from journey.api import views

urlpatterns = [
    path(
        "notifications/push-subscriptions",
        views.PushSubscriptionCreateApi.as_view(),
        name="push_subscriptions",
    ),
    # Any id reaches the view, so a malformed one is a JSON 404, not the resolver's HTML one.
    path(
        "notifications/push-subscriptions/<str:pk>",
        views.PushSubscriptionDetailApi.as_view(),
        name="push_subscription_detail",
    ),
]
