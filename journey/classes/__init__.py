"""Teachers and classes: a teacher's course template becomes each student's own
course, with its question bank, and the teacher sees the progress of the students who consent.

It lives in `journey` because joining a class writes to three apps at once (the course and its
topics and assessments, the question bank in `mastery`, and through their events the plan in
`scheduling`), and the progress page reads all three.
"""
