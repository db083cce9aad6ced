"""Teacher pages (/teach/, 404 for anyone without the staff-approved role) and the student's
class pages (/classes/). Views are thin: reads from the selectors, writes from services.

Split by concern: `templates`, `topics` (and assessments), `resources` (and question banks),
`progress`, `memberships` (join, consent, leave, updates); `base` holds the teacher gate, the
object lookup and the confirm-delete page they share. The routes are in
`journey.classes.urls`.
"""
