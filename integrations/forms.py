from django import forms

from accounts.hygiene import HygieneForm


class NotionDatabaseForm(HygieneForm):
    """Which database the tasks go to; after Notion OAuth this is all the student fills in."""

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

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("database_id") and not cleaned.get("parent_page_id"):
            self.add_error(
                "database_id", "Give an existing database id, or a page to create one in."
            )
        return cleaned


class NotionConnectForm(NotionDatabaseForm):
    token = forms.CharField(
        label="Internal integration token",
        widget=forms.PasswordInput(render_value=False),
        max_length=200,
        help_text="From Notion: Settings → Connections → Develop or manage integrations.",
    )

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
