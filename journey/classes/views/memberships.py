"""The student's side: their classes, joining with a code through the consent screen,
sharing progress or not, leaving, and the teacher's updates to accept."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from accounts.errors import ApplicationError
from accounts.models import is_teacher
from courses.services import templates as template_services
from courses.template_models import ClassMembership, Classroom
from journey.classes import selectors, updates
from journey.classes import services as class_services
from journey.classes.forms import ConsentDecision, ConsentForm, JoinForm
from journey.classes.views.base import BAD_INPUT_STATUS, submit


def _membership_for(request, pk) -> ClassMembership:
    return get_object_or_404(
        ClassMembership.objects.for_user(request.user).select_related("classroom__template"),
        pk=pk,
    )


class ClassListView(LoginRequiredMixin, TemplateView):
    template_name = "journey/classes/class_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        memberships = list(
            ClassMembership.objects.for_user(self.request.user)
            .select_related("classroom__template", "course", "student")
            .prefetch_related(
                "classroom__template__topics__resources",
                "classroom__template__assessments__topics",
            )
            .order_by("-joined_at")
        )
        shared = selectors.shared_rows(memberships, now=now)
        offers = updates.update_offers(memberships)
        context["entries"] = [
            {
                "membership": membership,
                "shared_row": shared.get(membership.pk),
                "offer": offers.get(membership.pk),
                "topic_names": [t.name for t in membership.classroom.template.topics.all()],
            }
            for membership in memberships
        ]
        context["join_form"] = JoinForm()
        context["is_teacher"] = is_teacher(self.request.user)
        return context


class JoinView(LoginRequiredMixin, View):
    """Enter a code; it leads to the consent screen of the class it opens."""

    def get(self, request):
        return render(request, "journey/classes/join.html", {"form": JoinForm()})

    def post(self, request):
        form = JoinForm(request.POST)
        if form.is_valid():
            code = form.cleaned_data["join_code"].strip().upper()
            if Classroom.objects.filter(join_code=code, is_open=True).exists():
                return redirect("classes:join_code", code=code)
            form.add_error("join_code", "No open class has this code.")
        return render(request, "journey/classes/join.html", {"form": form}, status=400)


class JoinConsentView(LoginRequiredMixin, View):
    """What the teacher will see, before anything is shared: the same row as the teacher's
    page, filled with what it would show right after joining."""

    page = "journey/classes/join_consent.html"

    def get_classroom(self, code) -> Classroom:
        return get_object_or_404(
            Classroom.objects.select_related("template__owner"),
            join_code=code.strip().upper(),
            is_open=True,
        )

    def render_page(self, request, classroom, form, status=200):
        preview = selectors.consent_preview(
            student=request.user, classroom=classroom, now=timezone.now()
        )
        context = {
            "classroom": classroom,
            "preview": preview,
            "topic_names": [cell.topic_name for cell in preview.topics],
            "form": form,
        }
        return render(request, self.page, context, status=status)

    def get(self, request, code):
        return self.render_page(request, self.get_classroom(code), ConsentForm())

    def post(self, request, code):
        classroom = self.get_classroom(code)
        form = ConsentForm(request.POST)
        membership = submit(
            form,
            lambda data: class_services.class_join(
                student=request.user,
                join_code=classroom.join_code,
                has_consented=form.has_consented,
            ),
        )
        if membership is not None:
            messages.success(request, f"You joined {classroom.name}.")
            return redirect("classes:list")
        return self.render_page(request, classroom, form, status=BAD_INPUT_STATUS)


class MembershipConsentView(LoginRequiredMixin, View):
    def post(self, request, pk):
        membership = _membership_for(request, pk)
        form = ConsentForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose whether to share your progress.")
            return redirect("classes:list")
        try:
            template_services.class_membership_consent_set(
                membership=membership,
                has_consented=form.cleaned_data["decision"] == ConsentDecision.SHARE,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("classes:list")


class MembershipLeaveView(LoginRequiredMixin, View):
    def post(self, request, pk):
        template_services.class_membership_leave(membership=_membership_for(request, pk))
        messages.success(request, "You left the class; the course stays in your account.")
        return redirect("classes:list")


class MembershipUpdateView(LoginRequiredMixin, View):
    """The update offer: everything accepting would add, change and remove in the student's
    course, and what of theirs is kept."""

    def get(self, request, pk):
        membership = get_object_or_404(
            ClassMembership.objects.for_user(request.user)
            .select_related("classroom__template", "course")
            .prefetch_related(
                "classroom__template__topics__resources",
                "classroom__template__assessments__topics",
            ),
            pk=pk,
        )
        offer = updates.update_offers([membership]).get(membership.pk)
        return render(
            request,
            "journey/classes/update_offer.html",
            {"membership": membership, "offer": offer},
        )


class MembershipUpdateAcceptView(LoginRequiredMixin, View):
    def post(self, request, pk):
        membership = _membership_for(request, pk)
        try:
            updates.class_update_accept(student=request.user, membership=membership)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("classes:update", pk=membership.pk)
        messages.success(request, "Your course now follows the class's update.")
        return redirect("classes:list")
