from django import forms

from accounts.hygiene import HygieneForm


class NotionDatabaseForm(HygieneForm):
    """Which database the tasks go to; after Notion OAuth this is all the student fills in.

    `targets` are the databases and pages Notion's search returned (NotionTarget); the student
    picks one. The raw id fields stay as an advanced fallback for an id copied from Notion."""

    target = forms.ChoiceField(
        label="Where your tasks go",
        required=False,
        widget=forms.RadioSelect,
    )
    database_id = forms.CharField(
        label="Existing database id",
        required=False,
        max_length=64,
        help_text="Leave empty to create a “Study Tasks” database.",
    )
    parent_page_id = forms.CharField(
        label="Page to create the database in",
        required=False,
        max_length=64,
        help_text="The id of a page shared with your integration.",
    )
    two_way_sync = forms.BooleanField(label="Bring status changes back from Notion", required=False)

    def __init__(self, *args, targets=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = list(targets or [])
        if "target" in self.fields:
            self.fields["target"].choices = [
                (
                    target.key,
                    f"Use the database “{target.title}”"
                    if target.kind == "database"
                    else f"Create a “Study Tasks” database in the page “{target.title}”",
                )
                for target in self.targets
            ]

    def clean(self):
        cleaned = super().clean()
        chosen = cleaned.get("target")
        if chosen:
            kind, _, target_id = chosen.partition(":")
            cleaned["database_id"] = target_id if kind == "database" else ""
            cleaned["parent_page_id"] = target_id if kind == "page" else ""
        if not cleaned.get("database_id") and not cleaned.get("parent_page_id"):
            field = "target" if "target" in self.fields else "database_id"
            self.add_error(
                field,
                "Pick a database or a page from the list."
                if field == "target"
                else "Give an existing database id, or a page to create one in.",
            )
        return cleaned


class NotionConnectForm(NotionDatabaseForm):
    token = forms.CharField(
        label="Internal integration token",
        widget=forms.PasswordInput(render_value=False),
        max_length=200,
        help_text="From Notion: Settings → Connections → Develop or manage integrations.",
    )

    # A pasted token is not searched before it is saved: the ids are typed.
    target = None
    field_order = ["token", "database_id", "parent_page_id", "two_way_sync"]


class MonitoredCalendarsForm(HygieneForm):
    calendars = forms.MultipleChoiceField(
        label="Calendars that count as busy",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["calendars"].choices = choices


class LmsConnectForm(HygieneForm):
    """Connect Canvas or Moodle with the site's address and a token, or import a calendar feed;
    the page shows what would be imported before anything is written."""

    lms_type = forms.ChoiceField(
        label="What to connect",
        choices=[
            ("canvas", "Canvas"),
            ("moodle", "Moodle"),
            ("ics", "A calendar feed (.ics) from any LMS"),
        ],
        widget=forms.RadioSelect,
        initial="canvas",
    )
    base_url = forms.URLField(
        label="Address",
        max_length=500,
        assume_scheme="https",
        help_text=(
            "Canvas or Moodle: your school's site, such as https://school.instructure.com. "
            "A calendar feed: the feed's URL."
        ),
    )
    token = forms.CharField(
        label="Access token",
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False),
        help_text=(
            "Canvas: Account → Settings → New access token. Moodle: Preferences → Security "
            "keys. Not needed for a calendar feed."
        ),
    )

    def __init__(self, *args, **kwargs):
        # Its fields share names with the Notion form's on the same page (token).
        kwargs.setdefault("prefix", "lms")
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("lms_type") in ("canvas", "moodle") and not cleaned.get("token", "").strip():
            self.add_error("token", "Give the access token from your LMS.")
        return cleaned


class CanvasOAuthForm(HygieneForm):
    """Sign in to Canvas instead of pasting a token, when the site gave this app a key."""

    base_url = forms.URLField(
        label="Your Canvas address",
        max_length=500,
        assume_scheme="https",
        help_text="Such as https://school.instructure.com.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "canvas")
        super().__init__(*args, **kwargs)
