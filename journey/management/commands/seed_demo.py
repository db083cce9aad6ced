"""Create (once) a realistic demo student. Safe to run again: nothing is duplicated."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from journey.demo import DEMO_EMAIL, DEMO_PASSWORD, demo_student_seed


class Command(BaseCommand):
    help = "Create the demo student with courses, topics, assessments and grade history."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            help="Build the demo as of this instant (ISO 8601 with an offset), not the real time.",
        )

    def handle(self, *args, now=None, **options):
        seeded = demo_student_seed(now=self.instant(now) if now else timezone.now())
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo student {'created' if seeded.is_new_user else 'already present'}; "
                f"{seeded.created_courses} new course(s). "
                f"Log in as {DEMO_EMAIL} / {DEMO_PASSWORD}"
            )
        )

    @staticmethod
    def instant(value: str) -> datetime:
        try:
            instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise CommandError(f"--now: {exc}") from exc
        if instant.tzinfo is None:
            raise CommandError("--now needs an offset, e.g. 2026-12-06T23:30:00-06:00")
        return instant
