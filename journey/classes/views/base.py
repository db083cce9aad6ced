"""What the class pages share: the teacher gate, fetching the teacher's own object, and the
confirm-delete page every template part uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Model
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from accounts.errors import ApplicationError
from accounts.models import is_teacher
from courses.template_models import ClassMembership, CourseTemplate, MembershipStatus
from journey.forms import add_service_error

BAD_INPUT_STATUS = 400

STUDENTS_OFFERED = (
    "Students who joined keep their copy until they accept the update that removes it."
)

Written = TypeVar("Written")


def submit(form, write: Callable[[dict], Written]) -> Written | None:
    """What `write` (a service call) returned for the form's cleaned data; None when the form
    is invalid or the service refused, with the reasons on the form for the page to show."""
    if not form.is_valid():
        return None
    try:
        return write(form.cleaned_data)
    except ApplicationError as exc:
        add_service_error(form, exc)
        return None


class TeacherRequiredMixin(LoginRequiredMixin):
    """Teacher pages do not exist for anyone else: a 404, not a 403, so the role is not
    advertised."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_teacher(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class TeacherObjectMixin(TeacherRequiredMixin):
    """The object named in the URL is fetched through the model's `for_user`: another
    teacher's object is a 404 like a missing one."""

    model: ClassVar[type[Model]]
    related_fields: ClassVar[tuple[str, ...]] = ()

    def get_object(self, request, pk) -> Any:
        return get_object_or_404(
            self.model.objects.for_user(request.user).select_related(*self.related_fields),
            pk=pk,
        )


class TeacherConfirmDeleteView(TeacherObjectMixin, View):
    """A confirmation page on GET that says what deleting does to the students who joined;
    the delete service on POST. A subclass names its model, what it is called, what deleting
    it does, and the service that deletes it."""

    page = "journey/classes/confirm_delete.html"
    kind = ""
    done_message = ""

    def template_of(self, obj) -> CourseTemplate:
        return obj.template

    def consequences(self, obj, student_count: int) -> list[str]:
        return []

    # Not named `delete`: View would route HTTP DELETE to it.
    def delete_object(self, request, obj) -> None:
        raise NotImplementedError

    def after_delete_url(self, obj) -> str:
        return reverse("classes:template_detail", args=[self.template_of(obj).pk])

    def cancel_url(self, obj) -> str:
        return self.after_delete_url(obj)

    def get(self, request, pk):
        obj = self.get_object(request, pk)
        template = self.template_of(obj)
        student_count = ClassMembership.objects.filter(
            classroom__template=template, status=MembershipStatus.JOINED
        ).count()
        context = {
            "object": obj,
            "kind": self.kind,
            "template": template,
            "student_count": student_count,
            "consequences": self.consequences(obj, student_count),
            "cancel_url": self.cancel_url(obj),
        }
        return render(request, self.page, context)

    def post(self, request, pk):
        obj = self.get_object(request, pk)
        target = self.after_delete_url(obj)
        self.delete_object(request, obj)
        messages.success(request, self.done_message)
        return redirect(target)
