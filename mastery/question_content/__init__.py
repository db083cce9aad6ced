"""Real subject questions for the course templates: text banks per course and numeric
generators for the quantitative topics. Nothing here is derived from the app's own data
(a course's code, a topic's prerequisites), so an answer measures the subject, not the app.
"""
