"""Routes of the teacher pages (/teach/) and the student's class pages (/classes/)."""

from django.urls import path

from journey.classes import views

app_name = "classes"

urlpatterns = [
    path("teach/", views.TeachIndexView.as_view(), name="teach"),
    path("teach/templates/new", views.TemplateCreateView.as_view(), name="template_create"),
    path("teach/templates/<uuid:pk>/", views.TemplateDetailView.as_view(), name="template_detail"),
    path("teach/topics/<uuid:pk>/", views.TemplateTopicEditView.as_view(), name="topic_edit"),
    path(
        "teach/assessments/<uuid:pk>/",
        views.TemplateAssessmentEditView.as_view(),
        name="assessment_edit",
    ),
    path(
        "teach/templates/<uuid:pk>/delete",
        views.TemplateDeleteView.as_view(),
        name="template_delete",
    ),
    path(
        "teach/topics/<uuid:pk>/delete",
        views.TemplateTopicDeleteView.as_view(),
        name="topic_delete",
    ),
    path(
        "teach/topics/<uuid:pk>/questions/delete",
        views.TemplateQuestionsDeleteView.as_view(),
        name="questions_delete",
    ),
    path(
        "teach/assessments/<uuid:pk>/delete",
        views.TemplateAssessmentDeleteView.as_view(),
        name="assessment_delete",
    ),
    path(
        "teach/resources/<uuid:pk>/", views.TemplateResourceEditView.as_view(), name="resource_edit"
    ),
    path(
        "teach/resources/<uuid:pk>/delete",
        views.TemplateResourceDeleteView.as_view(),
        name="resource_delete",
    ),
    path("teach/classes/<uuid:pk>/", views.ClassProgressView.as_view(), name="class_progress"),
    path("classes/", views.ClassListView.as_view(), name="list"),
    path("classes/join", views.JoinView.as_view(), name="join"),
    path("classes/join/<str:code>", views.JoinConsentView.as_view(), name="join_code"),
    path("classes/<uuid:pk>/consent", views.MembershipConsentView.as_view(), name="consent"),
    path("classes/<uuid:pk>/leave", views.MembershipLeaveView.as_view(), name="leave"),
    path("classes/<uuid:pk>/update", views.MembershipUpdateView.as_view(), name="update"),
    path(
        "classes/<uuid:pk>/accept-update",
        views.MembershipUpdateAcceptView.as_view(),
        name="accept_update",
    ),
]
