# The two models moved here from the `planner` app. Their tables already exist (created by
# planner/migrations/0001_initial.py, whose state 0003 dropped), so this only adds them to the
# state, under their old table names. Their content types follow them, so the permissions staff
# were granted and the admin's history keep pointing at the same models.

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED_MODELS = ('onboardingprogress', 'resourcecompletion')


def content_types_follow(apps, schema_editor, *, source, target):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    db_alias = schema_editor.connection.alias
    for model in MOVED_MODELS:
        # A fresh database has neither row yet; a database that already has the target leaves it.
        if ContentType.objects.using(db_alias).filter(app_label=target, model=model).exists():
            continue
        ContentType.objects.using(db_alias).filter(app_label=source, model=model).update(
            app_label=target
        )


def forwards(apps, schema_editor):
    content_types_follow(apps, schema_editor, source='planner', target='journey')


def backwards(apps, schema_editor):
    content_types_follow(apps, schema_editor, source='journey', target='planner')


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('courses', '0001_initial'),
        ('planner', '0003_move_models_to_journey'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='OnboardingProgress',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('current_step', models.CharField(choices=[('profile', 'Profile'), ('courses', 'Courses and assessments'), ('availability', 'Availability and preferences'), ('integrations', 'Integrations'), ('evidence', 'Diagnostic quizzes or grade history'), ('finish', 'Your first plan')], default='profile', max_length=16)),
                        ('completed_steps', models.JSONField(blank=True, default=list)),
                        ('skipped_steps', models.JSONField(blank=True, default=list)),
                        ('completed_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='onboarding', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'planner_onboardingprogress',
                        'verbose_name_plural': 'onboarding progress',
                    },
                ),
                migrations.CreateModel(
                    name='ResourceCompletion',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('resource_key', models.CharField(max_length=64)),
                        ('completed_at', models.DateTimeField(auto_now_add=True)),
                        ('topic', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='resource_completions', to='courses.topic')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='resource_completions', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'planner_resourcecompletion',
                        'constraints': [models.UniqueConstraint(fields=('user', 'topic', 'resource_key'), name='resource_completion_unique')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
