"""Routes of the classes API, included under /api/."""

from django.urls import path

from journey.classes import api

urlpatterns = [
    path("teach/templates", api.TemplateListCreateApi.as_view(), name="teach-templates"),
    path(
        "teach/templates/<str:template_id>",
        api.TemplateDetailApi.as_view(),
        name="teach-template-detail",
    ),
    path(
        "teach/templates/<str:template_id>/topics",
        api.TemplateTopicCreateApi.as_view(),
        name="teach-template-topics",
    ),
    path(
        "teach/templates/<str:template_id>/assessments",
        api.TemplateAssessmentCreateApi.as_view(),
        name="teach-template-assessments",
    ),
    path(
        "teach/templates/<str:template_id>/classes",
        api.TemplatePublishApi.as_view(),
        name="teach-template-publish",
    ),
    path(
        "teach/topics/<str:topic_id>/questions",
        api.TemplateTopicQuestionsApi.as_view(),
        name="teach-topic-questions",
    ),
    path(
        "teach/topics/<str:topic_id>",
        api.TemplateTopicDetailApi.as_view(),
        name="teach-topic-detail",
    ),
    path(
        "teach/topics/<str:topic_id>/resources",
        api.TemplateTopicResourcesApi.as_view(),
        name="teach-topic-resources",
    ),
    path(
        "teach/resources/<str:resource_id>",
        api.TemplateResourceDetailApi.as_view(),
        name="teach-resource-detail",
    ),
    path(
        "teach/assessments/<str:assessment_id>",
        api.TemplateAssessmentDetailApi.as_view(),
        name="teach-assessment-detail",
    ),
    path(
        "teach/classes/<str:class_id>/progress",
        api.ClassProgressApi.as_view(),
        name="teach-class-progress",
    ),
    path("classes", api.MembershipListApi.as_view(), name="classes"),
    path("classes/join", api.JoinApi.as_view(), name="classes-join"),
    path(
        "classes/<str:membership_id>/consent",
        api.MembershipConsentApi.as_view(),
        name="classes-consent",
    ),
    path(
        "classes/<str:membership_id>/leave", api.MembershipLeaveApi.as_view(), name="classes-leave"
    ),
    path(
        "classes/<str:membership_id>/update",
        api.MembershipUpdateOfferApi.as_view(),
        name="classes-update",
    ),
    path(
        "classes/<str:membership_id>/accept-update",
        api.MembershipAcceptUpdateApi.as_view(),
        name="classes-accept-update",
    ),
]
