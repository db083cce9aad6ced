from django.urls import path

from courses import views

app_name = "courses"

urlpatterns = [
    path("", views.CourseListView.as_view(), name="list"),
    path("new/", views.CourseCreateView.as_view(), name="create"),
    path("<uuid:pk>/", views.CourseDetailView.as_view(), name="detail"),
    path("<uuid:pk>/edit/", views.CourseUpdateView.as_view(), name="update"),
    path("<uuid:pk>/archive/", views.CourseArchiveView.as_view(), name="archive"),
    path("<uuid:pk>/delete/", views.CourseDeleteView.as_view(), name="delete"),
    path("<uuid:course_pk>/topics/new/", views.TopicCreateView.as_view(), name="topic_create"),
    path("topics/<uuid:pk>/edit/", views.TopicUpdateView.as_view(), name="topic_update"),
    path("topics/<uuid:pk>/delete/", views.TopicDeleteView.as_view(), name="topic_delete"),
    path(
        "<uuid:course_pk>/assessments/new/",
        views.AssessmentCreateView.as_view(),
        name="assessment_create",
    ),
    path(
        "assessments/<uuid:pk>/edit/",
        views.AssessmentUpdateView.as_view(),
        name="assessment_update",
    ),
    path(
        "assessments/<uuid:pk>/confirm-weight/",
        views.AssessmentWeightConfirmView.as_view(),
        name="assessment_weight_confirm",
    ),
    path(
        "assessments/<uuid:pk>/delete/",
        views.AssessmentDeleteView.as_view(),
        name="assessment_delete",
    ),
    path("import/csv/", views.CsvImportView.as_view(), name="import_csv"),
    path("import/lms/", views.LmsImportView.as_view(), name="import_lms"),
    path("study-modes/", views.StudyModesView.as_view(), name="study_modes"),
]
