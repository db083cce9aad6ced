"""Routes of the classes API, included under /api/."""

from django.urls import path

from journey.classes.api import memberships, progress, resources, templates, topics

urlpatterns = [
    path("teach/templates", templates.TemplateListCreateApi.as_view(), name="teach-templates"),
    path(
        "teach/templates/<str:template_id>",
        templates.TemplateDetailApi.as_view(),
        name="teach-template-detail",
    ),
    path(
        "teach/templates/<str:template_id>/topics",
        topics.TemplateTopicCreateApi.as_view(),
        name="teach-template-topics",
    ),
    path(
        "teach/templates/<str:template_id>/assessments",
        topics.TemplateAssessmentCreateApi.as_view(),
        name="teach-template-assessments",
    ),
    path(
        "teach/templates/<str:template_id>/classes",
        templates.TemplatePublishApi.as_view(),
        name="teach-template-publish",
    ),
    path(
        "teach/topics/<str:topic_id>/questions",
        resources.TemplateTopicQuestionsApi.as_view(),
        name="teach-topic-questions",
    ),
    path(
        "teach/topics/<str:topic_id>",
        topics.TemplateTopicDetailApi.as_view(),
        name="teach-topic-detail",
    ),
    path(
        "teach/topics/<str:topic_id>/resources",
        resources.TemplateTopicResourcesApi.as_view(),
        name="teach-topic-resources",
    ),
    path(
        "teach/resources/<str:resource_id>",
        resources.TemplateResourceDetailApi.as_view(),
        name="teach-resource-detail",
    ),
    path(
        "teach/assessments/<str:assessment_id>",
        topics.TemplateAssessmentDetailApi.as_view(),
        name="teach-assessment-detail",
    ),
    path(
        "teach/classes/<str:class_id>/progress",
        progress.ClassProgressApi.as_view(),
        name="teach-class-progress",
    ),
    path("classes", memberships.MembershipListApi.as_view(), name="classes"),
    path("classes/join", memberships.JoinApi.as_view(), name="classes-join"),
    path(
        "classes/<str:membership_id>/consent",
        memberships.MembershipConsentApi.as_view(),
        name="classes-consent",
    ),
    path(
        "classes/<str:membership_id>/leave",
        memberships.MembershipLeaveApi.as_view(),
        name="classes-leave",
    ),
    path(
        "classes/<str:membership_id>/update",
        memberships.MembershipUpdateOfferApi.as_view(),
        name="classes-update",
    ),
    path(
        "classes/<str:membership_id>/accept-update",
        memberships.MembershipAcceptUpdateApi.as_view(),
        name="classes-accept-update",
    ),
]
