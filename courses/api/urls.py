from django.urls import path

from courses.api import views

# Included under /api/ with namespace "api"; the seed's paths have no trailing slash.
urlpatterns = [
    path("courses", views.CourseListCreateApi.as_view(), name="course-list"),
    path("courses/<str:pk>", views.CourseDetailApi.as_view(), name="course-detail"),
    path("courses/<str:pk>/history", views.CourseHistoryApi.as_view(), name="course-history"),
    path(
        "courses/<str:course_id>/topics",
        views.CourseTopicListCreateApi.as_view(),
        name="course-topics",
    ),
    path(
        "courses/<str:course_id>/assessments",
        views.CourseAssessmentsApi.as_view(),
        name="course-assessments",
    ),
    path("topics/<str:pk>", views.TopicDetailApi.as_view(), name="topic-detail"),
    path("topics/<str:pk>/history", views.TopicHistoryApi.as_view(), name="topic-history"),
    path("assessments/<str:pk>", views.AssessmentDetailApi.as_view(), name="assessment-detail"),
    path(
        "assessments/<str:pk>/confirm-weight",
        views.AssessmentWeightConfirmApi.as_view(),
        name="assessment-confirm-weight",
    ),
    path(
        "assessments/<str:pk>/history",
        views.AssessmentHistoryApi.as_view(),
        name="assessment-history",
    ),
    path("import/csv", views.CsvImportApi.as_view(), name="import-csv"),
    path("import/lms", views.LmsImportApi.as_view(), name="import-lms"),
]
