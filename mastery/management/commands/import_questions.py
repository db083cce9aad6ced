"""Import a question bank file into one topic: `import_questions FILE --user EMAIL --topic ID`.

The file format is documented in docs/question_bank.md. The import is all or nothing: any
invalid question stops it, and every problem is listed.
"""

import json
import sys
import uuid

from django.core.management.base import BaseCommand, CommandError

from accounts.errors import ApplicationError
from accounts.models import User
from courses.models import Topic
from mastery.quiz_services import question_bank_import


def resolve_topic(*, email: str, topic_id: str) -> tuple[User, Topic]:
    """The user by email and one of their topics; anything else is a CommandError."""
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise CommandError(f"No user with email {email}.")
    try:
        topic_uuid = uuid.UUID(topic_id)
    except ValueError:
        raise CommandError(f"{topic_id} is not a topic id (UUID).") from None
    topic = Topic.objects.for_user(user).select_related("course").filter(pk=topic_uuid).first()
    if topic is None:
        raise CommandError(f"{email} has no topic {topic_id}.")
    return user, topic


class Command(BaseCommand):
    help = "Import questions from a JSON quiz document into a topic's question bank."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to the JSON file, or - for standard input.")
        parser.add_argument("--user", required=True, help="Email of the topic's owner.")
        parser.add_argument("--topic", required=True, help="Id of the topic.")

    def handle(self, *args, **options):
        user, topic = resolve_topic(email=options["user"], topic_id=options["topic"])
        try:
            if options["file"] == "-":
                document = json.load(sys.stdin)
            else:
                with open(options["file"], encoding="utf-8") as handle:
                    document = json.load(handle)
        except OSError as error:
            raise CommandError(f"Cannot read {options['file']}: {error.strerror}.") from None
        except json.JSONDecodeError as error:
            raise CommandError(f"Not valid JSON: {error}.") from None
        try:
            result = question_bank_import(user=user, topic=topic, document=document)
        except ApplicationError as error:
            details = [f"  {line}" for lines in error.field_errors.values() for line in lines]
            raise CommandError("\n".join([error.message, *details])) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{topic.name}: {result.created} question(s) created, {result.updated} updated."
            )
        )
