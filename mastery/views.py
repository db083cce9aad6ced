"""Mastery pages: heatmaps, a topic's chart, reviews due, quizzes one question at a time, and the
grade planner (it scores the remaining assessments with mastery, so it lives here, not in courses).

Quizzes work as plain forms (POST, then redirect) and, with htmx, swap only the question
panel. Every object is fetched through the user's scope, so another user's id is a 404.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView
from django_htmx.http import HttpResponseClientRedirect

from accounts.errors import ApplicationError
from accounts.forms import add_application_error
from accounts.page_cache import CachedBodyMixin
from courses.models import Assessment, Course, Topic
from mastery import evidence_selectors, grading, quiz_selectors, quiz_services
from mastery.charts import ChartPoint, mastery_chart_svg
from mastery.evidence_selectors import EvidenceSummary
from mastery.forms import AnswerForm, GradeTargetForm, ScoreRecordForm, SelfRatingForm
from mastery.grades import grade_plan_for, grade_plans_for, grade_target_set
from mastery.models import EvidenceSource, MasteryRecord, QuizAttempt, QuizKind, Trend
from mastery.services import assessment_score_record

# Hue 0 is red, 60 yellow, 120 green: mastery 0..100 maps onto that ramp.
HUE_AT_FULL_MASTERY = 120
TREND_SYMBOLS = {
    Trend.IMPROVING: "▲",
    Trend.DECLINING: "▼",
    Trend.STABLE: "▶",
    Trend.NEW: "●",
}


@dataclass(frozen=True)
class HeatCell:
    topic: Topic
    record: MasteryRecord | None
    evidence: EvidenceSummary

    @property
    def shows_number(self) -> bool:
        """A number only with evidence behind it; otherwise the page says there is none."""
        return self.record is not None and self.evidence.has_evidence

    @property
    def hue(self) -> int | None:
        if not self.shows_number:
            return None
        return round(max(0.0, min(100.0, self.record.mastery_score)) / 100 * HUE_AT_FULL_MASTERY)

    @property
    def trend_symbol(self) -> str:
        return TREND_SYMBOLS.get(self.record.trend, "") if self.record else ""


def heat_cells(topics, *, user) -> list[HeatCell]:
    """Cells for topics from `topics_with_mastery`. A queryset gets its evidence counts here
    (one grouped query); a list must carry them already (`with_evidence`)."""
    if isinstance(topics, QuerySet):
        topics = evidence_selectors.attach_evidence(topics, user=user)
    today, zone = evidence_selectors.student_today(user)
    return [
        HeatCell(
            topic=topic,
            record=quiz_selectors.mastery_of(topic),
            evidence=evidence_selectors.evidence_summary(topic, today=today, zone=zone),
        )
        for topic in topics
    ]


# The overview shows each course's weakest topics, not all of them: its cost stays flat as a
# student's courses grow, and the course page holds the full heatmap.
OVERVIEW_CELLS_PER_COURSE = 8
# Courses a page of the overview shows: a term's load on one page, more on the next.
OVERVIEW_COURSES_PER_PAGE = 6


@dataclass
class CourseHeat:
    course: Course
    cells: list[HeatCell]
    topic_count: int
    mean_mastery: float | None

    @property
    def hidden_count(self) -> int:
        return self.topic_count - len(self.cells)


class MasteryOverviewView(LoginRequiredMixin, CachedBodyMixin, TemplateView):
    template_name = "mastery/overview.html"
    body_template = "mastery/includes/_overview_body.html"
    body_cache_name = "mastery_overview"

    def body_context(self, *, now):
        context = {}
        user = self.request.user
        summaries = quiz_selectors.course_mastery_summaries(user=user).filter(topic_count__gt=0)
        page = Paginator(summaries, OVERVIEW_COURSES_PER_PAGE).get_page(
            self.request.GET.get("page")
        )
        weakest = quiz_selectors.weakest_topic_ids(
            user=user,
            per_course=OVERVIEW_CELLS_PER_COURSE,
            course_ids=[course.pk for course in page],
        )
        topics = quiz_selectors.topics_with_mastery(user=user).filter(pk__in=weakest)
        cells_by_course: dict = {}
        for cell in heat_cells(topics, user=user):
            cells_by_course.setdefault(cell.topic.course_id, []).append(cell)
        context["page"] = page
        context["per_page"] = OVERVIEW_COURSES_PER_PAGE
        context["courses"] = [
            CourseHeat(
                course=course,
                cells=cells_by_course.get(course.pk, []),
                topic_count=course.topic_count,
                mean_mastery=course.mean_mastery,
            )
            for course in page
        ]
        context["reviews_due_count"] = quiz_selectors.reviews_due(user=user).count()
        return context, None


# The self-rating form asks about this many topics at a time: a long course's form would
# otherwise be a wall of questions, and its cost would grow with the course.
SELF_RATINGS_SHOWN = 8
# The course's heatmap shows this many topics a page: a term's course on one page, a long
# course's topics over a few, so the page costs the same however long the course is.
HEATMAP_TOPICS_PER_PAGE = 24


class CourseMasteryView(LoginRequiredMixin, TemplateView):
    template_name = "mastery/course_mastery.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        course = get_object_or_404(Course.objects.for_user(user), pk=kwargs["pk"])
        page = Paginator(
            quiz_selectors.topics_with_mastery(user=user, course=course), HEATMAP_TOPICS_PER_PAGE
        ).get_page(self.request.GET.get("page"))
        per_topic = quiz_services.DIAGNOSTIC_QUESTIONS_PER_TOPIC
        # The least-evidenced first, a few at a time: once rated they move back, and the next
        # ones come up.
        queue = quiz_selectors.self_rating_queue(
            user=user, course=course, questions_per_topic=per_topic, shown=SELF_RATINGS_SHOWN
        )
        context.update(
            course=course,
            page=page,
            per_page=HEATMAP_TOPICS_PER_PAGE,
            cells=heat_cells(page.object_list, user=user),
            quizzable_count=queue.quizzable_count,
            questions_per_topic=per_topic,
            self_rating_form=kwargs.get("self_rating_form") or SelfRatingForm(topics=queue.asked),
            self_ratings_later=queue.later,
            attempts=quiz_selectors.quiz_attempts(user=user).filter(course=course)[:10],
        )
        return context


def _evidence_label(observation) -> str:
    record = observation.performance_record
    if record.assessment_id:
        return f"{record.assessment.name} ({observation.score_percent:.0f}%)"
    if record.source == EvidenceSource.SELF_RATING:
        # Both a study task and the diagnostic record self-ratings under this source; the
        # choice's label names only the first, and changing it would need a migration.
        source = "Self-rating"
    else:
        source = EvidenceSource(record.source).label if record.source else observation.kind
    return f"{source} ({observation.score_percent:.0f}%)"


class TopicMasteryView(LoginRequiredMixin, TemplateView):
    template_name = "mastery/topic_mastery.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        topic = get_object_or_404(
            evidence_selectors.with_evidence(
                quiz_selectors.topics_with_mastery(user=user).annotate(
                    question_count=Count("questions")
                ),
                user=user,
            ),
            pk=kwargs["pk"],
        )
        today, zone = evidence_selectors.student_today(user)
        history = quiz_selectors.mastery_history(user=user, topic=topic)
        rows = [
            {"observation": observation, "evidence": _evidence_label(observation)}
            for observation in history
        ]
        points = [
            ChartPoint(
                at=row["observation"].observed_at,
                mastery=row["observation"].mastery_after,
                confidence=row["observation"].confidence_after,
                evidence=row["evidence"],
            )
            for row in rows
        ]
        context.update(
            topic=topic,
            cell=HeatCell(
                topic=topic,
                record=quiz_selectors.mastery_of(topic),
                evidence=evidence_selectors.evidence_summary(topic, today=today, zone=zone),
            ),
            rows=rows,
            chart=mastery_chart_svg(points, topic_name=topic.name),
            recommendation=quiz_selectors.practice_difficulty(user=user, topic=topic),
            attempts=quiz_selectors.quiz_attempts(user=user).filter(topic=topic)[:10],
        )
        return context


class ReviewsDueView(LoginRequiredMixin, TemplateView):
    """The reviews due, the longest overdue first, a page at a time: a student back from a
    break can have hundreds due, and one page of them is a session's work."""

    template_name = "mastery/reviews_due.html"
    paginate_by = 20

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = quiz_selectors.user_today(self.request.user)
        reviews = quiz_selectors.reviews_due(user=self.request.user, on_date=today)
        # An out-of-range or malformed page number shows the nearest page, not an error.
        page = Paginator(reviews, self.paginate_by).get_page(self.request.GET.get("page"))
        context.update(today=today, page=page, reviews=page.object_list)
        return context


class DiagnosticStartView(LoginRequiredMixin, View):
    def post(self, request, pk):
        course = get_object_or_404(Course.objects.for_user(request.user), pk=pk)
        try:
            attempt = quiz_services.diagnostic_start(user=request.user, course=course)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("mastery:course", pk=course.pk)
        return redirect("mastery:quiz", pk=attempt.pk)


class SelfRatingView(CourseMasteryView):
    """The diagnostic's self-rating for topics it cannot quiz: POST here, errors re-render."""

    http_method_names = ["post"]

    def post(self, request, pk):
        course = get_object_or_404(Course.objects.for_user(request.user), pk=pk)
        topics = quiz_services.self_rated_topics(user=request.user, course=course)
        form = SelfRatingForm(request.POST, topics=topics)
        if form.is_valid():
            try:
                records = quiz_services.diagnostic_self_ratings_record(
                    user=request.user, course=course, ratings=form.ratings()
                )
            except ApplicationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    f"Recorded {len(records)} self-rating{'s' if len(records) != 1 else ''}.",
                )
                return redirect("mastery:course", pk=course.pk)
        context = self.get_context_data(pk=pk, self_rating_form=form)
        return self.render_to_response(context, status=400)


class PracticeStartView(LoginRequiredMixin, View):
    def post(self, request, pk):
        topic = get_object_or_404(
            Topic.objects.for_user(request.user).select_related("course"), pk=pk
        )
        try:
            attempt = quiz_services.practice_start(user=request.user, topic=topic)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("mastery:topic", pk=topic.pk)
        return redirect("mastery:quiz", pk=attempt.pk)


def _feedback(item) -> dict | None:
    if item is None:
        return None
    spec = quiz_selectors.question_spec(item.question)
    return {
        "item": item,
        "your_answer": grading.display_answer(spec, item.response),
        "correct_answer": grading.display_answer(spec, spec.correct_answer),
    }


class QuizTakeView(LoginRequiredMixin, View):
    template_name = "mastery/quiz_take.html"
    panel_template = "mastery/includes/_quiz_panel.html"

    def get_attempt(self, request, pk) -> QuizAttempt:
        return get_object_or_404(quiz_selectors.quiz_attempts(user=request.user), pk=pk)

    def render_panel(self, request, attempt, item, form, *, status=200):
        context = {
            "attempt": attempt,
            "item": item,
            "form": form,
            "feedback": _feedback(quiz_selectors.last_answered_item(attempt)),
        }
        template = self.panel_template if request.htmx else self.template_name
        return render(request, template, context, status=status)

    def get(self, request, pk):
        attempt = self.get_attempt(request, pk)
        item = None if attempt.is_completed else quiz_selectors.current_item(attempt)
        if item is None:
            return redirect("mastery:quiz-result", pk=attempt.pk)
        return self.render_panel(request, attempt, item, AnswerForm(question=item.question))

    def post(self, request, pk):
        attempt = self.get_attempt(request, pk)
        item = None if attempt.is_completed else quiz_selectors.current_item(attempt)
        if item is None:
            return self._after_answer(request, attempt)
        form = AnswerForm(request.POST, question=item.question)
        if form.is_valid():
            try:
                quiz_services.quiz_answer(
                    attempt=attempt,
                    question_id=form.cleaned_data["question_id"],
                    raw_answer=form.cleaned_data["answer"],
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                return self._after_answer(request, attempt)
        return self.render_panel(request, attempt, item, form)

    def _after_answer(self, request, attempt):
        attempt.refresh_from_db()
        if attempt.is_completed:
            url = reverse("mastery:quiz-result", kwargs={"pk": attempt.pk})
            return HttpResponseClientRedirect(url) if request.htmx else HttpResponseRedirect(url)
        if request.htmx:
            item = quiz_selectors.current_item(attempt)
            return self.render_panel(request, attempt, item, AnswerForm(question=item.question))
        return redirect("mastery:quiz", pk=attempt.pk)


class QuizFinishView(LoginRequiredMixin, View):
    def post(self, request, pk):
        attempt = get_object_or_404(quiz_selectors.quiz_attempts(user=request.user), pk=pk)
        try:
            quiz_services.quiz_finish(attempt=attempt)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("mastery:quiz", pk=attempt.pk)
        return redirect("mastery:quiz-result", pk=attempt.pk)


class QuizResultView(LoginRequiredMixin, TemplateView):
    template_name = "mastery/quiz_result.html"

    def get(self, request, *args, **kwargs):
        attempt = get_object_or_404(
            quiz_selectors.quiz_attempts(user=request.user), pk=kwargs["pk"]
        )
        if not attempt.is_completed:
            return redirect("mastery:quiz", pk=attempt.pk)
        items = [_feedback(item) for item in quiz_selectors.answered_items(attempt)]
        self_rated = (
            quiz_services.self_rated_topics(user=request.user, course=attempt.course)
            if attempt.kind == QuizKind.DIAGNOSTIC
            else []
        )
        return self.render_to_response(
            self.get_context_data(
                attempt=attempt,
                items=items,
                pass_percent=quiz_services.PASS_PERCENT,
                self_rated_count=len(self_rated),
            )
        )


# --- Grade planner ----------------------------------------------------------------------------


class GradesIndexView(LoginRequiredMixin, CachedBodyMixin, TemplateView):
    template_name = "mastery/grades_index.html"
    body_template = "mastery/includes/_grades_index_body.html"
    body_cache_name = "grades_index"

    def body_context(self, *, now):
        user = self.request.user
        plans = grade_plans_for(user=user, courses=Course.objects.for_user(user).active())
        return {"plans": plans}, None


class GradePlannerView(LoginRequiredMixin, TemplateView):
    template_name = "mastery/grades.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.course = get_object_or_404(
                Course.objects.for_user(request.user), pk=kwargs["course_id"]
            )
        return super().dispatch(request, *args, **kwargs)

    def score_form(self, data=None) -> ScoreRecordForm:
        assessments = Assessment.objects.for_user(self.request.user).filter(course=self.course)
        initial = {"assessment": self.request.GET.get("assessment", "")}
        return ScoreRecordForm(
            data, assessments=assessments.order_by("due_date", "name"), initial=initial
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        plan = grade_plan_for(user=self.request.user, course=self.course)
        context["plan"] = plan
        context["form"] = kwargs.get("form") or GradeTargetForm(
            initial={"target_percent": plan.target_percent}
        )
        context["score_form"] = kwargs.get("score_form") or self.score_form()
        return context

    def post(self, request, *args, **kwargs):
        form = GradeTargetForm(request.POST)
        if form.is_valid():
            try:
                grade_target_set(
                    user=request.user,
                    course=self.course,
                    target_percent=form.cleaned_data["target_percent"],
                )
            except ApplicationError as exc:
                add_application_error(form, exc)
            else:
                messages.success(request, "Target saved.")
                return redirect("mastery:grades", course_id=self.course.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class GradeScoreRecordView(GradePlannerView):
    """The grade planner's "Record score" form: a score on any assessment, at any time."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = self.score_form(request.POST)
        if form.is_valid():
            try:
                assessment_score_record(
                    user=request.user,
                    assessment=form.cleaned_data["assessment"],
                    score=form.cleaned_data["score"],
                    max_score=form.cleaned_data["max_score"],
                )
            except ApplicationError as exc:
                add_application_error(form, exc)
            else:
                messages.success(request, f"Score recorded for {form.cleaned_data['assessment']}.")
                return redirect("mastery:grades", course_id=self.course.pk)
        return self.render_to_response(self.get_context_data(score_form=form), status=400)
