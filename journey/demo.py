"""The demo student's curriculum: four realistic courses for the current semester."""

DEMO_EMAIL = "demo@example.org"
DEMO_PASSWORD = "study-planner-demo"  # noqa: S105 (a published demo login, not a secret)

# (code, name, instructor, colour, topics as (name, difficulty, prerequisite names),
#  assessments as (name, type, weight, days from semester start, topic names))
DEMO_COURSES = [
    (
        "MATH 2413",
        "Calculus I",
        "Dr. Maria Gonzalez",
        "#1f6feb",
        [
            ("Functions and Graphs", "easy", []),
            ("Limits", "medium", ["Functions and Graphs"]),
            ("Continuity", "medium", ["Limits"]),
            ("Definition of the Derivative", "medium", ["Limits"]),
            ("Differentiation Rules", "medium", ["Definition of the Derivative"]),
            ("Chain Rule", "hard", ["Differentiation Rules"]),
            ("Implicit Differentiation", "hard", ["Chain Rule"]),
            ("Related Rates", "exam_level", ["Implicit Differentiation"]),
            ("Optimization", "exam_level", ["Differentiation Rules"]),
            ("Antiderivatives", "medium", ["Differentiation Rules"]),
        ],
        [
            ("Quiz 1: Limits", "quiz", 5, 21, ["Limits", "Continuity"]),
            ("Homework Set 1", "assignment", 10, 28, ["Functions and Graphs", "Limits"]),
            (
                "Midterm Exam",
                "midterm",
                25,
                56,
                ["Limits", "Continuity", "Definition of the Derivative", "Differentiation Rules"],
            ),
            ("Quiz 2: Chain Rule", "quiz", 5, 70, ["Chain Rule", "Implicit Differentiation"]),
            ("Homework Set 2", "assignment", 15, 90, ["Related Rates", "Optimization"]),
            (
                "Final Exam",
                "final",
                40,
                110,
                [
                    "Chain Rule",
                    "Implicit Differentiation",
                    "Related Rates",
                    "Optimization",
                    "Antiderivatives",
                ],
            ),
        ],
    ),
    (
        "CS 1337",
        "Computer Science I",
        "Prof. Alan Chen",
        "#8250df",
        [
            ("Variables and Types", "easy", []),
            ("Control Flow", "easy", ["Variables and Types"]),
            ("Functions", "medium", ["Control Flow"]),
            ("Arrays", "medium", ["Control Flow"]),
            ("Pointers", "hard", ["Arrays"]),
            ("Recursion", "hard", ["Functions"]),
            ("Classes and Objects", "medium", ["Functions"]),
            ("Linked Lists", "exam_level", ["Pointers", "Classes and Objects"]),
        ],
        [
            ("Lab 1", "assignment", 10, 20, ["Variables and Types", "Control Flow"]),
            ("Quiz: Arrays", "quiz", 10, 40, ["Arrays"]),
            ("Midterm", "midterm", 25, 60, ["Functions", "Arrays", "Pointers"]),
            (
                "Project: Inventory System",
                "project",
                20,
                95,
                ["Classes and Objects", "Linked Lists"],
            ),
            ("Final Exam", "final", 35, 112, ["Pointers", "Recursion", "Linked Lists"]),
        ],
    ),
    (
        "CHEM 1411",
        "General Chemistry I",
        "Dr. Priya Natarajan",
        "#1a7f37",
        [
            ("Atomic Structure", "easy", []),
            ("Periodic Trends", "medium", ["Atomic Structure"]),
            ("Chemical Bonding", "medium", ["Periodic Trends"]),
            ("Stoichiometry", "hard", ["Chemical Bonding"]),
            ("Gas Laws", "medium", ["Stoichiometry"]),
            ("Thermochemistry", "hard", ["Stoichiometry"]),
            ("Solutions", "medium", ["Stoichiometry"]),
        ],
        [
            ("Quiz 1", "quiz", 10, 25, ["Atomic Structure", "Periodic Trends"]),
            ("Lab Reports", "assignment", 15, 80, ["Stoichiometry", "Gas Laws"]),
            ("Midterm", "midterm", 30, 58, ["Chemical Bonding", "Stoichiometry"]),
            ("Final Exam", "final", 45, 111, ["Gas Laws", "Thermochemistry", "Solutions"]),
        ],
    ),
    (
        "HIST 1301",
        "U.S. History I",
        "Dr. James Whitfield",
        "#bc4c00",
        [
            ("Colonial America", "easy", []),
            ("The Revolution", "medium", ["Colonial America"]),
            ("The Constitution", "medium", ["The Revolution"]),
            ("The Early Republic", "medium", ["The Constitution"]),
            ("Jacksonian Democracy", "medium", ["The Early Republic"]),
            ("Sectional Crisis", "hard", ["Jacksonian Democracy"]),
        ],
        [
            ("Reading Response 1", "assignment", 10, 30, ["Colonial America"]),
            ("Midterm Essay", "midterm", 30, 60, ["The Revolution", "The Constitution"]),
            ("Research Paper", "project", 25, 100, ["The Early Republic", "Jacksonian Democracy"]),
            ("Final Exam", "final", 35, 113, ["Jacksonian Democracy", "Sectional Crisis"]),
        ],
    ),
]
