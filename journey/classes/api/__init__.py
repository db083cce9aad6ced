"""The classes API: a teacher's templates and classes under /api/teach/ (404 for anyone
without the role), a student's memberships and consent under /api/classes/. Thin views:
validate shape, call one service, render.

Split by concern: `templates`, `topics` (and assessments), `resources` (and question banks),
`progress`, `memberships` (join, consent, leave, updates); `base` holds what they share and
`serializers` their input and output shapes. The routes are in `journey.classes.api_urls`.
"""
