"""`make screenshots`: PNGs of the main pages at desktop and phone width, from the demo data.

It runs on a throwaway SQLite database (never the development one): migrate, seed the demo
student, compute mastery, give the topics question banks and make the first plan, then serve
the app in-process and drive Debian's Chromium through Playwright.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

# A common laptop and an iPhone-sized phone, the widths the browser tests check too.
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 375, "height": 812}}
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
PAGE_TIMEOUT_MS = 20_000
# Set in the child process that runs on the throwaway database.
SCRATCH_FLAG = "PLANNER_SCREENSHOTS_SCRATCH"


def prepare_demo_student():
    """The demo student as a returning user: seeded, with mastery, question banks, a finished
    setup and a plan. Safe to run again."""
    from accounts.models import User
    from journey.demo import DEMO_EMAIL
    from journey.onboarding import onboarding_finish
    from mastery.demo_questions import seed_demo_questions
    from mastery.services import mastery_recompute_user

    call_command("seed_demo", verbosity=0)
    user = User.objects.get(email=DEMO_EMAIL)
    mastery_recompute_user(user=user)
    seed_demo_questions(user=user)
    onboarding_finish(user=user)
    return user


# A student who signed up, added one course from a template and stopped at the availability step.
NEW_STUDENT_EMAIL = "new.student@example.org"
NEW_STUDENT_PASSWORD = "a-long-and-new-password-42"  # noqa: S105 - on a throwaway database


def prepare_new_student():
    """A fresh student mid-setup (step 3 of the wizard). Safe to run again."""
    from accounts.models import User
    from accounts.services import user_email_mark_verified, user_signup
    from journey.onboarding import course_template_apply, onboarding_step_complete

    user = User.objects.filter(email=NEW_STUDENT_EMAIL).first()
    if user is not None:
        return user
    user = user_signup(
        email=NEW_STUDENT_EMAIL,
        password=NEW_STUDENT_PASSWORD,
        full_name="Nia Student",
        timezone="America/Chicago",
    )
    # Logging in needs a verified address; this student has followed the verification link.
    user_email_mark_verified(user=user)
    onboarding_step_complete(user=user, step="profile")
    course_template_apply(user=user, code="MATH 2413")
    onboarding_step_complete(user=user, step="courses")
    return user


def new_student_pages(user) -> list[tuple[str, str]]:
    """The pages a student mid-setup reaches: the wizard, and the pages it sends them to."""
    from courses.models import Course

    course = Course.objects.for_user(user).order_by("code").first()
    return [
        ("new-dashboard", "/"),
        ("new-onboarding", "/onboarding/availability/"),
        ("new-course-detail", f"/courses/{course.pk}/"),
        ("new-import-csv", "/courses/import/csv/"),
        ("new-integrations", "/integrations/"),
        ("new-week", "/plan/"),
        ("new-mastery", "/mastery/"),
    ]


def main_pages(user) -> list[tuple[str, str]]:
    """Every main page of a student with data, as (label, path): what the screenshots show and
    what the browser tests walk (phone width, accessibility, a clean console). Starting a
    practice quiz is the one write, so the quiz page has an attempt to show."""
    from courses.models import Assessment, Course, Topic
    from mastery import quiz_services

    course = Course.objects.for_user(user).filter(code="MATH 2413").first()
    course = course or Course.objects.for_user(user).order_by("code").first()
    topic = Topic.objects.filter(course=course).order_by("name").first()
    assessment = Assessment.objects.filter(course=course).order_by("due_date").first()
    attempt = quiz_services.practice_start(user=user, topic=topic)
    return [
        ("dashboard", "/"),
        ("today", "/plan/today"),
        ("week", "/plan/"),
        ("reviews", "/mastery/reviews/"),
        ("courses", "/courses/"),
        ("course-detail", f"/courses/{course.pk}/"),
        ("course-overview", f"/courses/{course.pk}/overview"),
        ("assessment-form", f"/courses/assessments/{assessment.pk}/edit/"),
        ("mastery", "/mastery/"),
        ("course-mastery", f"/mastery/courses/{course.pk}/"),
        ("topic-mastery", f"/mastery/topics/{topic.pk}/"),
        ("quiz", f"/mastery/quizzes/{attempt.pk}/"),
        ("grades-index", "/grades/"),
        ("grades", f"/grades/{course.pk}/"),
        ("stats", "/stats/"),
        ("at-risk", "/plan/at-risk"),
        ("check-in", "/plan/check-in"),
        ("integrations", "/integrations/"),
        ("import-csv", "/courses/import/csv/"),
        ("preferences", "/accounts/preferences/"),
        ("profile", "/accounts/profile/"),
        ("your-data", "/settings/data/"),
        ("onboarding", "/onboarding/availability/"),
        ("flashcards", "/mastery/cards/"),
        ("card-review", "/mastery/cards/review/"),
        ("notifications", "/notifications/"),
        ("notification-settings", "/accounts/preferences/notifications/"),
        ("classes", "/classes/"),
        ("join-class", "/classes/join"),
    ]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        return


class Command(BaseCommand):
    help = "Write PNG screenshots of the main pages (desktop and phone) to ./screenshots/."

    def add_arguments(self, parser):
        parser.add_argument("--output", default="screenshots", help="Directory for the PNGs.")

    def handle(self, *args, output, **options):
        chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
        if not chromium:
            raise CommandError("Needs Debian's chromium (apt-get install chromium).")
        out_dir = Path(output).resolve()
        out_dir.mkdir(parents=True, exist_ok=True)
        if os.environ.get(SCRATCH_FLAG) != "1":
            self._rerun_on_scratch_database(out_dir)
            return
        call_command("migrate", verbosity=0, interactive=False)
        user = prepare_demo_student()
        newcomer = prepare_new_student()
        from journey.demo import DEMO_EMAIL, DEMO_PASSWORD

        students = [
            (DEMO_EMAIL, DEMO_PASSWORD, main_pages(user)),
            (NEW_STUDENT_EMAIL, NEW_STUDENT_PASSWORD, new_student_pages(newcomer)),
        ]
        server = make_server("127.0.0.1", 0, self._wsgi_app(), WSGIServer, _QuietHandler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            base_url = f"http://127.0.0.1:{server.server_port}"
            written = self._capture(chromium, base_url, students, out_dir)
        finally:
            server.shutdown()
        self.stdout.write(self.style.SUCCESS(f"Wrote {written} screenshots to {out_dir}"))

    def _rerun_on_scratch_database(self, out_dir: Path) -> None:
        """Settings are read once per process, so the scratch database needs a fresh one."""
        with tempfile.TemporaryDirectory(prefix="planner-shots-") as scratch:
            env = {
                **os.environ,
                SCRATCH_FLAG: "1",
                "DATABASE_URL": f"sqlite:///{Path(scratch) / 'screenshots.sqlite3'}",
                "CELERY_TASK_ALWAYS_EAGER": "true",
                "DEBUG": "true",
            }
            command = [sys.executable, "manage.py", "screenshots", "--output", str(out_dir)]
            result = subprocess.run(  # noqa: S603 - fixed argv, no shell
                command, cwd=settings.BASE_DIR, env=env, check=False
            )
        if result.returncode:
            raise CommandError("Taking the screenshots failed (see the output above).")

    @staticmethod
    def _wsgi_app():
        from django.contrib.staticfiles.handlers import StaticFilesHandler
        from django.core.wsgi import get_wsgi_application

        return StaticFilesHandler(get_wsgi_application())

    def _capture(self, chromium: str, base_url: str, students, out_dir: Path) -> int:
        from playwright.sync_api import sync_playwright

        # Playwright's sync API runs an event loop on this thread; our ORM use is synchronous.
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        written = 0
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            try:
                for email, password, pages in students:
                    for name, viewport in VIEWPORTS.items():
                        context = browser.new_context(
                            viewport=viewport, base_url=base_url, is_mobile=name == "phone"
                        )
                        page = context.new_page()
                        page.set_default_timeout(PAGE_TIMEOUT_MS)
                        page.goto("/accounts/login/")
                        page.get_by_label("Email").fill(email)
                        page.get_by_label("Password").fill(password)
                        page.get_by_role("button", name="Log in").click()
                        page.wait_for_load_state()
                        for label, path in pages:
                            page.goto(path)
                            page.screenshot(
                                path=str(out_dir / f"{label}-{name}.png"), full_page=True
                            )
                            written += 1
                        # The "More" menu open, over the dashboard.
                        page.goto("/")
                        page.locator(".more-menu > summary").click()
                        page.screenshot(path=str(out_dir / f"{pages[0][0]}-menu-{name}.png"))
                        written += 1
                        context.close()
            finally:
                browser.close()
        return written
