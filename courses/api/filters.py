import django_filters

from accounts.api.filters import UtcIsoDateTimeFilter
from courses.models import Assessment, AssessmentType, Course, Difficulty, Topic


class CourseFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(lookup_expr="icontains")
    name = django_filters.CharFilter(lookup_expr="icontains")
    semester = django_filters.CharFilter(lookup_expr="iexact")
    starts_after = django_filters.DateFilter(field_name="start_date", lookup_expr="gte")
    ends_before = django_filters.DateFilter(field_name="end_date", lookup_expr="lte")

    class Meta:
        model = Course
        fields = ["is_archived", "code", "name", "semester"]


class TopicFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    estimated_difficulty = django_filters.ChoiceFilter(choices=Difficulty.choices)

    class Meta:
        model = Topic
        fields = ["name", "estimated_difficulty"]


class AssessmentFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(choices=AssessmentType.choices)
    due_after = UtcIsoDateTimeFilter(field_name="due_date", lookup_expr="gte")
    due_before = UtcIsoDateTimeFilter(field_name="due_date", lookup_expr="lte")
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Assessment
        fields = ["type", "is_completed", "created_from_import", "name"]
