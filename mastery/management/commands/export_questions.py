"""Export a topic's question bank: `export_questions --user EMAIL --topic ID [--output FILE]`.

Writes the documented JSON format (docs/question_bank.md); importing the output into the
same topic changes nothing.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from mastery.management.commands.import_questions import resolve_topic
from mastery.quiz_selectors import question_bank_export


class Command(BaseCommand):
    help = "Export a topic's question bank as a JSON quiz document."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="Email of the topic's owner.")
        parser.add_argument("--topic", required=True, help="Id of the topic.")
        parser.add_argument("--output", help="File to write; standard output if omitted.")

    def handle(self, *args, **options):
        _, topic = resolve_topic(email=options["user"], topic_id=options["topic"])
        text = json.dumps(question_bank_export(topic=topic), indent=2, ensure_ascii=False)
        if not options.get("output"):
            self.stdout.write(text)
            return
        try:
            with open(options["output"], "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
        except OSError as error:
            raise CommandError(f"Cannot write {options['output']}: {error.strerror}.") from None
        self.stderr.write(f"Wrote {options['output']}.")
