"""A class's progress for its teacher: only the students who consent, and every look is in
the audit trail."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from accounts.audit import audit_record
from accounts.models import AuditAction
from courses.template_models import Classroom
from journey.classes import selectors
from journey.classes.views.base import TeacherRequiredMixin


class ClassProgressView(TeacherRequiredMixin, TemplateView):
    template_name = "journey/classes/class_progress.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        classroom = get_object_or_404(
            Classroom.objects.for_teacher(self.request.user).select_related("template"),
            pk=kwargs["pk"],
        )
        progress = selectors.class_progress(classroom, now=timezone.now())
        # Every look at class data is in the trail: who, which class, how many students.
        audit_record(
            action=AuditAction.CLASS_PROGRESS_VIEWED,
            user=self.request.user,
            detail={"classroom_id": str(classroom.pk), "student_count": progress.student_count},
        )
        context["progress"] = progress
        context["join_url"] = self.request.build_absolute_uri(
            reverse("classes:join_code", args=[classroom.join_code])
        )
        return context
