"""Text questions for Calculus I (MATH 2413), keyed by topic name.

Source: written for this project. Licence: the project's own licence (the same terms as the
code in this repository).
"""

from mastery.question_content.builders import mc, ms, num, sa, tf

QUESTIONS: dict[str, list[dict]] = {
    "Functions and Graphs": [
        num("fg-1", "easy", "If f(x) = 2x + 3, what is f(4)?", 11, 0, "2·4 + 3 = 11."),
        tf(
            "fg-2",
            "medium",
            "Every function passes the vertical line test.",
            True,
            "A function gives one output per input, so no vertical line meets it twice.",
        ),
    ],
    "Limits": [
        num(
            "lim-1",
            "medium",
            "Evaluate the limit of (x² − 1)/(x − 1) as x → 1.",
            2,
            0,
            "Factor: (x − 1)(x + 1)/(x − 1) = x + 1, which tends to 2.",
        ),
        mc(
            "lim-2",
            "hard",
            "What is the limit of sin(x)/x as x → 0?",
            ["0", "1", "∞", "It does not exist"],
            "1",
            "A standard limit, shown with the squeeze theorem.",
        ),
    ],
    "Continuity": [
        tf(
            "con-1",
            "easy",
            "A polynomial is continuous at every real number.",
            True,
            "Sums and products of continuous functions are continuous.",
        ),
        ms(
            "con-2",
            "hard",
            "Which conditions define continuity of f at a?",
            ["f(a) is defined", "The limit at a exists", "The limit equals f(a)", "f'(a) exists"],
            ["f(a) is defined", "The limit at a exists", "The limit equals f(a)"],
            "Differentiability is stronger than continuity and is not required.",
        ),
    ],
    "Definition of the Derivative": [
        sa(
            "def-1",
            "medium",
            "The derivative is the limit of the ____ quotient.",
            "difference",
            [],
            "f'(x) = lim (f(x+h) − f(x))/h, the difference quotient.",
        ),
        num(
            "def-2",
            "medium",
            "Using the definition, what is f'(3) for f(x) = x²?",
            6,
            0,
            "f'(x) = 2x, so f'(3) = 6.",
        ),
    ],
    "Differentiation Rules": [
        num(
            "dr-1",
            "easy",
            "What is the derivative of x⁵ at x = 1?",
            5,
            0,
            "Power rule: 5x⁴, which is 5 at x = 1.",
        ),
        mc(
            "dr-2",
            "medium",
            "d/dx [x·sin x] is:",
            ["sin x + x cos x", "cos x", "x cos x", "sin x − x cos x"],
            "sin x + x cos x",
            "Product rule: u'v + uv'.",
        ),
    ],
    "Chain Rule": [
        mc(
            "cr-1",
            "hard",
            "d/dx [sin(x²)] is:",
            ["2x cos(x²)", "cos(x²)", "2x sin(x²)", "cos(2x)"],
            "2x cos(x²)",
            "Outer derivative cos(x²) times inner derivative 2x.",
        ),
        num(
            "cr-2",
            "exam_level",
            "If f(x) = (3x + 1)⁴, what is f'(0)?",
            12,
            0,
            "f'(x) = 4(3x + 1)³·3, which is 12 at x = 0.",
        ),
    ],
    "Implicit Differentiation": [
        mc(
            "imp-1",
            "hard",
            "For x² + y² = 25, dy/dx is:",
            ["−x/y", "x/y", "−y/x", "2x"],
            "−x/y",
            "Differentiate: 2x + 2y·y' = 0, so y' = −x/y.",
        ),
        num(
            "imp-2",
            "exam_level",
            "For x² + y² = 25, what is dy/dx at (3, 4)?",
            -0.75,
            0.01,
            "y' = −x/y = −3/4.",
        ),
    ],
    "Related Rates": [
        num(
            "rr-1",
            "exam_level",
            "A circle's radius grows at 2 cm/s. How fast (cm²/s) does its area grow when r = 5? "
            "Round to one decimal.",
            62.8,
            0.1,
            "dA/dt = 2πr·dr/dt = 2π·5·2 ≈ 62.8.",
        ),
        tf(
            "rr-2",
            "hard",
            "In related rates you substitute numbers before differentiating.",
            False,
            "Differentiate the relation first; substituting early freezes the variables.",
        ),
    ],
    "Optimization": [
        num(
            "opt-1",
            "exam_level",
            "Two positive numbers sum to 20. What is their largest product?",
            100,
            0,
            "xy with y = 20 − x peaks at x = 10: 10·10 = 100.",
        ),
        ms(
            "opt-2",
            "hard",
            "Where can a continuous function on [a, b] reach its maximum?",
            ["At a critical point", "At an endpoint", "Only where f' = 1", "Only at x = 0"],
            ["At a critical point", "At an endpoint"],
            "Closed interval method.",
        ),
    ],
    "Antiderivatives": [
        sa(
            "anti-1",
            "medium",
            "An antiderivative of 2x (without the constant) is:",
            "x^2",
            ["x²", "x**2"],
            "d/dx x² = 2x.",
        ),
        tf(
            "anti-2",
            "easy",
            "Antiderivatives of a function differ by a constant.",
            True,
            "Functions with the same derivative on an interval differ by a constant.",
        ),
    ],
}
