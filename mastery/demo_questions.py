"""Question banks for the demo student: every topic gets at least six questions.

Topics of the demo curriculum (journey/demo.py) get real subject questions; every topic also
gets questions about its place in the course (its prerequisites, its difficulty), so a topic
the demo does not know still gets a usable bank. Questions go through the same import service
as a user's file and have fixed ids, so running this again updates them instead of adding.
"""

from __future__ import annotations

from courses.models import Topic
from mastery.quiz_services import question_bank_import

MC, MS, TF, NUM, SA = "multiple_choice", "multiple_select", "true_false", "numeric", "short_answer"


def _mc(qid, difficulty, text, options, correct, explanation):
    return {
        "question_id": qid,
        "type": MC,
        "difficulty": difficulty,
        "question_text": text,
        "options": [{"id": chr(97 + i), "text": option} for i, option in enumerate(options)],
        "correct_answer": chr(97 + options.index(correct)),
        "explanation": explanation,
    }


def _ms(qid, difficulty, text, options, correct, explanation):
    question = _mc(qid, difficulty, text, options, correct[0], explanation)
    question["type"] = MS
    question["correct_answer"] = [chr(97 + options.index(item)) for item in correct]
    return question


def _tf(qid, difficulty, text, correct, explanation):
    return {
        "question_id": qid,
        "type": TF,
        "difficulty": difficulty,
        "question_text": text,
        "correct_answer": correct,
        "explanation": explanation,
    }


def _num(qid, difficulty, text, correct, tolerance, explanation):
    return {
        "question_id": qid,
        "type": NUM,
        "difficulty": difficulty,
        "question_text": text,
        "correct_answer": correct,
        "tolerance": tolerance,
        "explanation": explanation,
    }


def _sa(qid, difficulty, text, correct, accepted, explanation):
    return {
        "question_id": qid,
        "type": SA,
        "difficulty": difficulty,
        "question_text": text,
        "correct_answer": correct,
        "accepted_answers": accepted,
        "explanation": explanation,
    }


# Subject questions for the demo curriculum, keyed by topic name.
SUBJECT_QUESTIONS: dict[str, list[dict]] = {
    "Functions and Graphs": [
        _num("fg-1", "easy", "If f(x) = 2x + 3, what is f(4)?", 11, 0, "2·4 + 3 = 11."),
        _tf(
            "fg-2",
            "medium",
            "Every function passes the vertical line test.",
            True,
            "A function gives one output per input, so no vertical line meets it twice.",
        ),
    ],
    "Limits": [
        _num(
            "lim-1",
            "medium",
            "Evaluate the limit of (x² − 1)/(x − 1) as x → 1.",
            2,
            0,
            "Factor: (x − 1)(x + 1)/(x − 1) = x + 1, which tends to 2.",
        ),
        _mc(
            "lim-2",
            "hard",
            "What is the limit of sin(x)/x as x → 0?",
            ["0", "1", "∞", "It does not exist"],
            "1",
            "A standard limit, shown with the squeeze theorem.",
        ),
    ],
    "Continuity": [
        _tf(
            "con-1",
            "easy",
            "A polynomial is continuous at every real number.",
            True,
            "Sums and products of continuous functions are continuous.",
        ),
        _ms(
            "con-2",
            "hard",
            "Which conditions define continuity of f at a?",
            ["f(a) is defined", "The limit at a exists", "The limit equals f(a)", "f'(a) exists"],
            ["f(a) is defined", "The limit at a exists", "The limit equals f(a)"],
            "Differentiability is stronger than continuity and is not required.",
        ),
    ],
    "Definition of the Derivative": [
        _sa(
            "def-1",
            "medium",
            "The derivative is the limit of the ____ quotient.",
            "difference",
            [],
            "f'(x) = lim (f(x+h) − f(x))/h, the difference quotient.",
        ),
        _num(
            "def-2",
            "medium",
            "Using the definition, what is f'(3) for f(x) = x²?",
            6,
            0,
            "f'(x) = 2x, so f'(3) = 6.",
        ),
    ],
    "Differentiation Rules": [
        _num(
            "dr-1",
            "easy",
            "What is the derivative of x⁵ at x = 1?",
            5,
            0,
            "Power rule: 5x⁴, which is 5 at x = 1.",
        ),
        _mc(
            "dr-2",
            "medium",
            "d/dx [x·sin x] is:",
            ["sin x + x cos x", "cos x", "x cos x", "sin x − x cos x"],
            "sin x + x cos x",
            "Product rule: u'v + uv'.",
        ),
    ],
    "Chain Rule": [
        _mc(
            "cr-1",
            "hard",
            "d/dx [sin(x²)] is:",
            ["2x cos(x²)", "cos(x²)", "2x sin(x²)", "cos(2x)"],
            "2x cos(x²)",
            "Outer derivative cos(x²) times inner derivative 2x.",
        ),
        _num(
            "cr-2",
            "exam_level",
            "If f(x) = (3x + 1)⁴, what is f'(0)?",
            12,
            0,
            "f'(x) = 4(3x + 1)³·3, which is 12 at x = 0.",
        ),
    ],
    "Implicit Differentiation": [
        _mc(
            "imp-1",
            "hard",
            "For x² + y² = 25, dy/dx is:",
            ["−x/y", "x/y", "−y/x", "2x"],
            "−x/y",
            "Differentiate: 2x + 2y·y' = 0, so y' = −x/y.",
        ),
        _num(
            "imp-2",
            "exam_level",
            "For x² + y² = 25, what is dy/dx at (3, 4)?",
            -0.75,
            0.01,
            "y' = −x/y = −3/4.",
        ),
    ],
    "Related Rates": [
        _num(
            "rr-1",
            "exam_level",
            "A circle's radius grows at 2 cm/s. How fast (cm²/s) does its area grow when r = 5? "
            "Round to one decimal.",
            62.8,
            0.1,
            "dA/dt = 2πr·dr/dt = 2π·5·2 ≈ 62.8.",
        ),
        _tf(
            "rr-2",
            "hard",
            "In related rates you substitute numbers before differentiating.",
            False,
            "Differentiate the relation first; substituting early freezes the variables.",
        ),
    ],
    "Optimization": [
        _num(
            "opt-1",
            "exam_level",
            "Two positive numbers sum to 20. What is their largest product?",
            100,
            0,
            "xy with y = 20 − x peaks at x = 10: 10·10 = 100.",
        ),
        _ms(
            "opt-2",
            "hard",
            "Where can a continuous function on [a, b] reach its maximum?",
            ["At a critical point", "At an endpoint", "Only where f' = 1", "Only at x = 0"],
            ["At a critical point", "At an endpoint"],
            "Closed interval method.",
        ),
    ],
    "Antiderivatives": [
        _sa(
            "anti-1",
            "medium",
            "An antiderivative of 2x (without the constant) is:",
            "x^2",
            ["x²", "x**2"],
            "d/dx x² = 2x.",
        ),
        _tf(
            "anti-2",
            "easy",
            "Antiderivatives of a function differ by a constant.",
            True,
            "Functions with the same derivative on an interval differ by a constant.",
        ),
    ],
    "Variables and Types": [
        _mc(
            "vt-1",
            "easy",
            "Which C++ type holds a single character?",
            ["char", "int", "bool", "double"],
            "char",
            "char stores one character.",
        ),
        _num(
            "vt-2",
            "medium",
            "In C++, what is 7 / 2 with two int operands?",
            3,
            0,
            "Integer division truncates toward zero.",
        ),
    ],
    "Control Flow": [
        _num(
            "cf-1",
            "easy",
            "How many times does for (int i = 0; i < 5; i++) run its body?",
            5,
            0,
            "i takes 0, 1, 2, 3 and 4.",
        ),
        _tf(
            "cf-2",
            "medium",
            "A do-while loop always runs its body at least once.",
            True,
            "The condition is tested after the body.",
        ),
    ],
    "Functions": [
        _sa(
            "fn-1",
            "medium",
            "What return type does a C++ function that returns nothing have?",
            "void",
            [],
            "void marks the absence of a return value.",
        ),
        _mc(
            "fn-2",
            "hard",
            "Passing by reference lets a function:",
            [
                "Change the caller's variable",
                "Run faster in every case",
                "Return two values by default",
                "Avoid type checking",
            ],
            "Change the caller's variable",
            "The parameter aliases the caller's object.",
        ),
    ],
    "Arrays": [
        _num(
            "arr-1",
            "easy",
            "What is the index of the last element of an array of 10?",
            9,
            0,
            "Indexes start at 0.",
        ),
        _tf(
            "arr-2",
            "medium",
            "C++ checks array bounds on every access with [].",
            False,
            "Out-of-bounds access with [] is undefined behaviour.",
        ),
    ],
    "Pointers": [
        _mc(
            "ptr-1",
            "hard",
            "If p points to x, what is *p?",
            ["The value of x", "The address of x", "The address of p", "Always 0"],
            "The value of x",
            "* dereferences the pointer.",
        ),
        _sa(
            "ptr-2",
            "medium",
            "Which operator gives the address of a variable?",
            "&",
            [],
            "&x is the address of x.",
        ),
    ],
    "Recursion": [
        _num(
            "rec-1",
            "hard",
            "With fact(0) = 1 and fact(n) = n·fact(n − 1), what is fact(5)?",
            120,
            0,
            "5·4·3·2·1 = 120.",
        ),
        _tf(
            "rec-2",
            "medium",
            "Every recursive function needs a base case to terminate.",
            True,
            "Without one it recurses until the stack overflows.",
        ),
    ],
    "Classes and Objects": [
        _mc(
            "cls-1",
            "medium",
            "Which member runs when an object is created?",
            ["Constructor", "Destructor", "Getter", "Friend function"],
            "Constructor",
            "Constructors initialize new objects.",
        ),
        _tf(
            "cls-2",
            "easy",
            "Members of a C++ class are private by default.",
            True,
            "class defaults to private; struct to public.",
        ),
    ],
    "Linked Lists": [
        _mc(
            "ll-1",
            "exam_level",
            "Inserting at the head of a singly linked list takes:",
            ["O(1)", "O(n)", "O(log n)", "O(n²)"],
            "O(1)",
            "Only the head pointer changes.",
        ),
        _ms(
            "ll-2",
            "hard",
            "What does each node of a singly linked list hold?",
            ["Data", "A pointer to the next node", "A pointer to the previous node", "Its index"],
            ["Data", "A pointer to the next node"],
            "Previous pointers are for doubly linked lists.",
        ),
    ],
    "Atomic Structure": [
        _num(
            "at-1",
            "easy",
            "How many protons does a carbon atom have?",
            6,
            0,
            "Carbon's atomic number is 6.",
        ),
        _mc(
            "at-2",
            "medium",
            "Isotopes of an element differ in their number of:",
            ["Neutrons", "Protons", "Electrons in a neutral atom", "Energy levels"],
            "Neutrons",
            "Same protons, different neutrons.",
        ),
    ],
    "Periodic Trends": [
        _tf(
            "pt-1",
            "medium",
            "Atomic radius decreases across a period from left to right.",
            True,
            "More protons pull the same shell closer.",
        ),
        _mc(
            "pt-2",
            "medium",
            "Which element has the highest electronegativity?",
            ["Fluorine", "Oxygen", "Chlorine", "Sodium"],
            "Fluorine",
            "Fluorine tops the Pauling scale.",
        ),
    ],
    "Chemical Bonding": [
        _mc(
            "cb-1",
            "medium",
            "NaCl is held together by:",
            ["Ionic bonds", "Covalent bonds", "Metallic bonds", "Hydrogen bonds"],
            "Ionic bonds",
            "Na⁺ and Cl⁻ attract electrostatically.",
        ),
        _num(
            "cb-2",
            "hard",
            "How many lone pairs are on the oxygen atom of water?",
            2,
            0,
            "Oxygen has six valence electrons: two in bonds, four in two lone pairs.",
        ),
    ],
    "Stoichiometry": [
        _num(
            "st-1",
            "hard",
            "How many grams are in 2 mol of water (18.02 g/mol)?",
            36.04,
            0.05,
            "2 × 18.02 = 36.04 g.",
        ),
        _num(
            "st-2",
            "medium",
            "In 2H₂ + O₂ → 2H₂O, how many mol of H₂O come from 3 mol of O₂?",
            6,
            0,
            "The ratio O₂ : H₂O is 1 : 2.",
        ),
    ],
    "Gas Laws": [
        _num(
            "gl-1",
            "medium",
            "A gas at 2 atm in 4 L is compressed to 2 L at constant T. Pressure (atm)?",
            4,
            0,
            "Boyle's law: P₁V₁ = P₂V₂.",
        ),
        _sa(
            "gl-2",
            "easy",
            "Write the ideal gas law.",
            "PV = nRT",
            ["pv=nrt"],
            "Pressure times volume equals moles times R times temperature.",
        ),
    ],
    "Thermochemistry": [
        _tf(
            "tc-1",
            "medium",
            "An exothermic reaction has a negative ΔH.",
            True,
            "The system releases heat, so its enthalpy falls.",
        ),
        _num(
            "tc-2",
            "hard",
            "Heat (J) to warm 10 g of water by 5 °C (c = 4.18 J/g·°C)?",
            209,
            0.5,
            "q = mcΔT = 10 × 4.18 × 5 = 209 J.",
        ),
    ],
    "Solutions": [
        _num(
            "sol-1",
            "medium",
            "Molarity of 0.5 mol NaCl in 0.25 L of solution?",
            2,
            0,
            "M = mol / L = 0.5 / 0.25 = 2.",
        ),
        _mc(
            "sol-2",
            "easy",
            "In salt water, the solvent is:",
            ["Water", "Salt", "Both", "Neither"],
            "Water",
            "The solvent is the component present in the larger amount.",
        ),
    ],
    "Colonial America": [
        _num(
            "col-1",
            "easy",
            "In what year was Jamestown founded?",
            1607,
            0,
            "Jamestown, Virginia, was founded in 1607.",
        ),
        _mc(
            "col-2",
            "medium",
            "The Mayflower Compact was signed by settlers bound for:",
            ["Plymouth", "Jamestown", "Boston", "Philadelphia"],
            "Plymouth",
            "Signed in 1620.",
        ),
    ],
    "The Revolution": [
        _num(
            "rev-1",
            "easy",
            "In what year was the Declaration of Independence adopted?",
            1776,
            0,
            "On July 4, 1776.",
        ),
        _sa(
            "rev-2",
            "medium",
            "Which 1781 siege ended major fighting of the war?",
            "Yorktown",
            ["Siege of Yorktown"],
            "Cornwallis surrendered at Yorktown.",
        ),
    ],
    "The Constitution": [
        _num(
            "const-1",
            "medium",
            "How many amendments make up the Bill of Rights?",
            10,
            0,
            "The first ten amendments, ratified in 1791.",
        ),
        _ms(
            "const-2",
            "hard",
            "Which are branches of the federal government?",
            ["Legislative", "Executive", "Judicial", "Electoral"],
            ["Legislative", "Executive", "Judicial"],
            "Separation of powers across three branches.",
        ),
    ],
    "The Early Republic": [
        _mc(
            "er-1",
            "medium",
            "Who was the first Secretary of the Treasury?",
            ["Alexander Hamilton", "Thomas Jefferson", "John Adams", "James Madison"],
            "Alexander Hamilton",
            "Hamilton built the early financial system.",
        ),
        _num(
            "er-2",
            "medium",
            "In what year was the Louisiana Purchase made?",
            1803,
            0,
            "Bought from France in 1803.",
        ),
    ],
    "Jacksonian Democracy": [
        _sa(
            "jd-1",
            "medium",
            "Which 1830 act forced Native nations west?",
            "Indian Removal Act",
            ["The Indian Removal Act"],
            "It led to the Trail of Tears.",
        ),
        _tf(
            "jd-2",
            "hard",
            "Jackson supported rechartering the Second Bank of the United States.",
            False,
            "He vetoed the recharter in 1832.",
        ),
    ],
    "Sectional Crisis": [
        _num(
            "sc-1",
            "hard",
            "In what year was the Kansas–Nebraska Act passed?",
            1854,
            0,
            "It let settlers decide on slavery by popular sovereignty.",
        ),
        _mc(
            "sc-2",
            "exam_level",
            "The Dred Scott decision (1857) held that:",
            [
                "Congress could not ban slavery in the territories",
                "Slavery was abolished",
                "Kansas was a free state",
                "The Missouri Compromise was extended",
            ],
            "Congress could not ban slavery in the territories",
            "It struck down the Missouri Compromise's restriction.",
        ),
    ],
}

DIFFICULTY_WORDS = {
    "easy": "introductory",
    "medium": "intermediate",
    "hard": "advanced",
    "exam_level": "exam level",
}


def course_questions(topic: Topic, course_topics: list[Topic]) -> list[dict]:
    """Questions about the topic's place in its course, true for any topic."""
    by_id = {str(other.pk): other for other in course_topics}
    prerequisites = [by_id[i].name for i in topic.prerequisite_topic_ids if i in by_id]
    others = [other.name for other in course_topics if other.pk != topic.pk]
    level = topic.estimated_difficulty
    questions = [
        _tf(
            "course-1",
            "easy",
            f"“{topic.name}” is part of {topic.course.code} {topic.course.name}.",
            True,
            f"It is one of the course's {len(course_topics)} topics.",
        ),
        _num(
            "course-2",
            "medium",
            f"How many prerequisite topics does “{topic.name}” have in this course?",
            len(prerequisites),
            0,
            "Its prerequisites: " + (", ".join(prerequisites) or "none") + ".",
        ),
        _sa(
            "course-3",
            "hard",
            f"Which course code does “{topic.name}” belong to?",
            topic.course.code,
            [],
            f"{topic.course.code} is {topic.course.name}.",
        ),
        _mc(
            "course-4",
            "exam_level" if level == "exam_level" else "medium",
            f"How does the course rate the difficulty of “{topic.name}”?",
            list(DIFFICULTY_WORDS.values()),
            DIFFICULTY_WORDS[level],
            f"It is rated {DIFFICULTY_WORDS[level]}; practice starts near that level.",
        ),
        _tf(
            "course-6",
            "medium",
            f"“{topic.name}” has no prerequisites in this course.",
            not prerequisites,
            "Its prerequisites: " + (", ".join(prerequisites) or "none") + ".",
        ),
        _tf(
            "course-7",
            "hard",
            f"The course rates “{topic.name}” as harder than introductory.",
            level != "easy",
            f"It is rated {DIFFICULTY_WORDS[level]}.",
        ),
    ]
    if prerequisites and others:
        non_prerequisites = [name for name in others if name not in prerequisites][:2]
        options = [*prerequisites[:2], *non_prerequisites]
        if len(options) >= 2:
            questions.append(
                _ms(
                    "course-5",
                    "hard",
                    f"Which of these must be learned before “{topic.name}”?",
                    options,
                    prerequisites[:2],
                    "Prerequisites: " + ", ".join(prerequisites) + ".",
                )
            )
    return questions


def seed_demo_questions(*, user) -> int:
    """Give every topic of the user's courses at least six questions; returns questions set."""
    topics = list(Topic.objects.for_user(user).select_related("course").order_by("order_index"))
    by_course: dict = {}
    for topic in topics:
        by_course.setdefault(topic.course_id, []).append(topic)
    total = 0
    for topic in topics:
        questions = [
            *SUBJECT_QUESTIONS.get(topic.name, []),
            *course_questions(topic, by_course[topic.course_id]),
        ]
        result = question_bank_import(
            user=user, topic=topic, document={"quiz": {"questions": questions}}
        )
        total += result.created + result.updated
    return total
