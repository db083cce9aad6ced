"""A class's progress for its teacher (/api/teach/classes/{id}/progress): only the students
who consent, and every look is in the audit trail."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.audit import audit_record
from accounts.models import AuditAction
from courses.template_models import Classroom
from journey.classes import selectors
from journey.classes.api.base import OBJECT_ERRORS, TeacherApiMixin
from journey.classes.api.serializers import ClassProgressOutput


class ClassProgressApi(TeacherApiMixin, APIView):
    @extend_schema(responses={200: ClassProgressOutput, **OBJECT_ERRORS})
    def get(self, request, class_id):
        classroom = get_object_or_404(
            Classroom.objects.for_teacher(request.user).select_related("template"), pk=class_id
        )
        progress = selectors.class_progress(classroom, now=timezone.now())
        audit_record(
            action=AuditAction.CLASS_PROGRESS_VIEWED,
            user=request.user,
            detail={"classroom_id": str(classroom.pk), "student_count": progress.student_count},
        )
        return Response(ClassProgressOutput(progress).data)
