"""Routes of the teacher pages (/teach/) and the student's class pages (/classes/)."""

from django.urls import path

from journey.classes.views import memberships, progress, resources, templates, topics

app_name = "classes"

urlpatterns = [
    path("teach/", templates.TeachIndexView.as_view(), name="teach"),
    path("teach/templates/new", templates.TemplateCreateView.as_view(), name="template_create"),
    path(
        "teach/templates/<uuid:pk>/", templates.TemplateDetailView.as_view(), name="template_detail"
    ),
    path("teach/topics/<uuid:pk>/", topics.TemplateTopicEditView.as_view(), name="topic_edit"),
    path(
        "teach/assessments/<uuid:pk>/",
        topics.TemplateAssessmentEditView.as_view(),
        name="assessment_edit",
    ),
    path(
        "teach/templates/<uuid:pk>/delete",
        templates.TemplateDeleteView.as_view(),
        name="template_delete",
    ),
    path(
        "teach/topics/<uuid:pk>/delete",
        topics.TemplateTopicDeleteView.as_view(),
        name="topic_delete",
    ),
    path(
        "teach/topics/<uuid:pk>/questions/delete",
        resources.TemplateQuestionsDeleteView.as_view(),
        name="questions_delete",
    ),
    path(
        "teach/assessments/<uuid:pk>/delete",
        topics.TemplateAssessmentDeleteView.as_view(),
        name="assessment_delete",
    ),
    path(
        "teach/resources/<uuid:pk>/",
        resources.TemplateResourceEditView.as_view(),
        name="resource_edit",
    ),
    path(
        "teach/resources/<uuid:pk>/delete",
        resources.TemplateResourceDeleteView.as_view(),
        name="resource_delete",
    ),
    path("teach/classes/<uuid:pk>/", progress.ClassProgressView.as_view(), name="class_progress"),
    path("classes/", memberships.ClassListView.as_view(), name="list"),
    path("classes/join", memberships.JoinView.as_view(), name="join"),
    path("classes/join/<str:code>", memberships.JoinConsentView.as_view(), name="join_code"),
    path("classes/<uuid:pk>/consent", memberships.MembershipConsentView.as_view(), name="consent"),
    path("classes/<uuid:pk>/leave", memberships.MembershipLeaveView.as_view(), name="leave"),
    path("classes/<uuid:pk>/update", memberships.MembershipUpdateView.as_view(), name="update"),
    path(
        "classes/<uuid:pk>/accept-update",
        memberships.MembershipUpdateAcceptView.as_view(),
        name="accept_update",
    ),
]
