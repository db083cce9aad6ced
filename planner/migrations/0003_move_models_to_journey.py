# The journey pages' two models moved to the `journey` app with their tables: this removes them
# from planner's migration state only. journey/migrations/0001_initial.py takes them over.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('planner', '0002_delete_gradetarget'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='OnboardingProgress'),
                migrations.DeleteModel(name='ResourceCompletion'),
            ],
            database_operations=[],
        ),
    ]
