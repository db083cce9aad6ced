"""Parameterised numeric questions for the quantitative topics of the course templates.

A generator draws its parameters from a `random.Random` and computes the correct value from
them, so every instance is checked numerically: the stored question is `numeric` with the
computed key and a tolerance that covers the rounding the question asks for. Parameters are
drawn from ranges that keep the arithmetic doable by hand (integer answers where possible).

Source: written for this project. Licence: the project's own licence (the same terms as the
code in this repository).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from mastery.question_content.builders import num

# A generated key rounded to two decimals is matched by any answer that rounds the same way.
TWO_DECIMALS = 0.01
# "Round to one decimal": half a unit of the last place either side.
ONE_DECIMAL = 0.05

# (text, correct value, tolerance, explanation) for one drawn instance.
Instance = tuple[str, float, float, str]


@dataclass(frozen=True)
class Generator:
    key: str
    difficulty: str
    make: Callable[[random.Random], Instance]

    def instance(self, rng: random.Random, question_id: str) -> dict:
        text, correct, tolerance, explanation = self.make(rng)
        return num(question_id, self.difficulty, text, correct, tolerance, explanation)


def _nonzero(rng: random.Random, low: int, high: int) -> int:
    return rng.choice([value for value in range(low, high + 1) if value != 0])


def _plus(value: int) -> str:
    """`+ 3` or `− 3`, so a drawn negative reads as written maths, not `+ -3`."""
    return f"+ {value}" if value >= 0 else f"− {-value}"


# --- Calculus ---------------------------------------------------------------------------------


def _linear_value(rng):
    a, b, x = _nonzero(rng, -5, 6), rng.randint(-9, 9), rng.randint(-4, 6)
    return (
        f"If f(x) = {a}x {_plus(b)}, what is f({x})?",
        a * x + b,
        0,
        f"{a}·{x} {_plus(b)} = {a * x + b}.",
    )


def _composition(rng):
    a, b, c, x = rng.randint(2, 5), rng.randint(-5, 5), rng.randint(1, 6), rng.randint(-3, 3)
    inner = x * x + c
    value = a * inner + b
    text = f"With f(x) = {a}x {_plus(b)} and g(x) = x² + {c}, what is f(g({x}))?"
    return text, value, 0, f"g({x}) = {inner}, and f({inner}) = {value}."


def _limit_factor(rng):
    a = _nonzero(rng, -6, 7)
    text = f"Evaluate the limit of (x² − {a * a})/(x − ({a})) as x → {a}."
    explanation = f"Factor: (x − {a})(x + {a})/(x − {a}) = x + {a}, which tends to {2 * a}."
    return text, 2 * a, 0, explanation


def _limit_at_infinity(rng):
    a, c, b, d = rng.randint(1, 9), rng.randint(2, 9), rng.randint(1, 9), rng.randint(1, 9)
    value = round(a / c, 2)
    text = f"Evaluate the limit of ({a}x² + {b})/({c}x² + {d}x) as x → ∞. Round to two decimals."
    return text, value, TWO_DECIMALS, f"Divide by x²: the ratio of leading terms {a}/{c}."


def _continuity_constant(rng):
    a, b, c = rng.randint(1, 5), rng.randint(-5, 5), rng.randint(1, 4)
    k = a * c + b - c * c
    text = (
        f"f(x) = {a}x {_plus(b)} for x < {c} and f(x) = x² + k for x ≥ {c}. "
        "For which k is f continuous at x = " + f"{c}?"
    )
    explanation = f"Both pieces must meet at {c}: {a * c + b} = {c * c} + k, so k = {k}."
    return text, k, 0, explanation


def _removable_value(rng):
    c = _nonzero(rng, -5, 6)
    text = (
        f"g(x) = (x² − {c * c})/(x − ({c})) for x ≠ {c}. What value at x = {c} makes g continuous?"
    )
    return text, 2 * c, 0, f"The limit at {c} is {c} + {c} = {2 * c}; define g({c}) as that."


def _derivative_by_definition(rng):
    a, c = rng.randint(1, 6), rng.randint(-4, 5)
    text = f"Using the limit definition, what is f'({c}) for f(x) = {a}x²?"
    explanation = f"(f({c}+h) − f({c}))/h = {a}(2·{c} + h) → {2 * a * c}."
    return text, 2 * a * c, 0, explanation


def _difference_quotient(rng):
    c, h = rng.randint(1, 6), rng.choice([1, 2])
    value = 2 * c + h
    text = f"For f(x) = x², what is the difference quotient (f({c} + h) − f({c}))/h with h = {h}?"
    return text, value, 0, f"((x + h)² − x²)/h = 2x + h = {value}."


def _power_rule(rng):
    a, n = rng.randint(2, 9), rng.randint(2, 7)
    text = f"What is the derivative of {a}x^{n} at x = 1?"
    return text, a * n, 0, f"Power rule: {a * n}x^{n - 1}, which is {a * n} at x = 1."


def _polynomial_slope(rng):
    a, b, c, x = rng.randint(1, 4), rng.randint(-5, 5), rng.randint(-6, 6), rng.randint(-3, 3)
    value = 3 * a * x * x + 2 * b * x + c
    text = f"If f(x) = {a}x³ {_plus(b)}x² {_plus(c)}x, what is f'({x})?"
    return text, value, 0, f"f'(x) = {3 * a}x² {_plus(2 * b)}x {_plus(c)}, so f'({x}) = {value}."


def _product_rule(rng):
    a, b, x = rng.randint(1, 5), rng.randint(1, 5), rng.randint(-3, 3)
    value = (x * x + b) + (x + a) * 2 * x
    text = f"If f(x) = (x + {a})(x² + {b}), what is f'({x})?"
    return text, value, 0, f"Product rule: (x² + {b}) + (x + {a})·2x, which is {value} at {x}."


def _chain_linear_power(rng):
    a, b, n, x = rng.randint(2, 4), rng.randint(-2, 2), rng.randint(2, 4), rng.randint(0, 1)
    value = n * a * (a * x + b) ** (n - 1)
    text = f"If f(x) = ({a}x {_plus(b)})^{n}, what is f'({x})?"
    explanation = f"f'(x) = {n}({a}x {_plus(b)})^{n - 1}·{a}, which is {value} at x = {x}."
    return text, value, 0, explanation


def _chain_square_cube(rng):
    a, x = rng.randint(1, 3), rng.randint(-2, 2)
    value = 3 * (x * x + a) ** 2 * 2 * x
    text = f"If f(x) = (x² + {a})³, what is f'({x})?"
    return text, value, 0, f"f'(x) = 3(x² + {a})²·2x, which is {value} at x = {x}."


PYTHAGOREAN = ((3, 4, 5), (5, 12, 13), (8, 15, 17), (6, 8, 10), (7, 24, 25))


def _implicit_circle(rng):
    x, y, r = rng.choice(PYTHAGOREAN)
    if rng.random() < 0.5:
        x, y = y, x
    value = round(-x / y, 2)
    text = f"For x² + y² = {r * r}, what is dy/dx at ({x}, {y})? Round to two decimals."
    return text, value, TWO_DECIMALS, f"2x + 2y·y' = 0, so y' = −x/y = −{x}/{y} ≈ {value}."


def _implicit_hyperbola(rng):
    x, k = rng.randint(1, 4), rng.choice([12, 24, 36])
    y = k // x
    value = round(-y / x, 2)
    text = f"For xy = {k}, what is dy/dx at ({x}, {y})? Round to two decimals."
    return text, value, TWO_DECIMALS, f"y + x·y' = 0, so y' = −y/x = −{y}/{x} ≈ {value}."


def _circle_area_rate(rng):
    rate, r = rng.randint(1, 4), rng.randint(2, 9)
    value = round(2 * math.pi * r * rate, 1)
    text = (
        f"A circle's radius grows at {rate} cm/s. How fast (cm²/s) does its area grow when "
        f"r = {r} cm? Round to one decimal."
    )
    return text, value, ONE_DECIMAL, f"dA/dt = 2πr·dr/dt = 2π·{r}·{rate} ≈ {value}."


def _square_area_rate(rng):
    rate, side = rng.randint(1, 5), rng.randint(2, 12)
    value = 2 * side * rate
    text = (
        f"A square's side grows at {rate} cm/s. How fast (cm²/s) does its area grow when the "
        f"side is {side} cm?"
    )
    return text, value, 0, f"A = s², so dA/dt = 2s·ds/dt = 2·{side}·{rate} = {value}."


def _max_product(rng):
    total = 2 * rng.randint(4, 25)
    half = total // 2
    text = f"Two positive numbers sum to {total}. What is their largest possible product?"
    return text, half * half, 0, f"x({total} − x) peaks at x = {half}: {half}·{half}."


def _max_rectangle(rng):
    perimeter = 4 * rng.randint(3, 20)
    side = perimeter // 4
    text = f"A rectangle has perimeter {perimeter} m. What is its largest possible area (m²)?"
    return text, side * side, 0, f"The square of side {side} maximises the area: {side * side}."


def _integral_linear(rng):
    a, b, c = rng.randint(1, 6), rng.randint(-4, 6), 2 * rng.randint(1, 3)
    value = a * c * c // 2 + b * c
    text = f"Evaluate the integral of ({a}x {_plus(b)}) dx from 0 to {c}."
    explanation = f"An antiderivative is {a}x²/2 {_plus(b)}x; at {c} it is {value}, at 0 it is 0."
    return text, value, 0, explanation


def _integral_quadratic(rng):
    a, c = 3 * rng.randint(1, 3), rng.randint(1, 3)
    value = a * c**3 // 3
    text = f"Evaluate the integral of {a}x² dx from 0 to {c}."
    return text, value, 0, f"An antiderivative is {a // 3}x³; at {c} it is {value}."


# --- Programming (C++) -----------------------------------------------------------------------


def _integer_division(rng):
    b = rng.randint(2, 9)
    a = rng.randint(b + 1, 60)
    text = f"In C++, with int a = {a} and int b = {b}, what is a / b?"
    return text, a // b, 0, f"Integer division truncates: {a}/{b} = {a // b}."


def _modulo(rng):
    b = rng.randint(2, 9)
    a = rng.randint(b + 1, 60)
    text = f"In C++, what is {a} % {b}?"
    return text, a % b, 0, f"{a} = {a // b}·{b} + {a % b}."


def _loop_count(rng):
    start, step = rng.randint(0, 3), rng.randint(1, 3)
    end = start + rng.randint(4, 15)
    count = len(range(start, end, step))
    text = f"How many times does for (int i = {start}; i < {end}; i += {step}) run its body?"
    return text, count, 0, f"i takes {count} values from {start} up to below {end}."


def _loop_sum(rng):
    n = rng.randint(3, 12)
    total = n * (n + 1) // 2
    text = f"int s = 0; for (int i = 1; i <= {n}; i++) s += i; What is s afterwards?"
    return text, total, 0, f"1 + 2 + … + {n} = {n}·{n + 1}/2 = {total}."


def _nested_call(rng):
    a, b, x = rng.randint(2, 4), rng.randint(-3, 5), rng.randint(-2, 4)
    value = a * (a * x + b) + b
    code_term = f"+ {b}" if b >= 0 else f"- {-b}"  # C++ source takes an ASCII minus
    text = f"int f(int x) {{ return {a} * x {code_term}; }} What does f(f({x})) return?"
    return text, value, 0, f"f({x}) = {a * x + b}, then f({a * x + b}) = {value}."


def _array_values(rng, length):
    return [rng.randint(1, 9) for _ in range(length)]


def _array_sum(rng):
    values = _array_values(rng, rng.randint(4, 6))
    literal = ", ".join(str(v) for v in values)
    text = (
        f"int a[] = {{{literal}}}; int s = 0; for (int i = 0; i < {len(values)}; i++) s += a[i];"
        " What is s?"
    )
    return text, sum(values), 0, f"{' + '.join(str(v) for v in values)} = {sum(values)}."


def _last_index(rng):
    size = rng.randint(5, 40)
    text = f"What is the index of the last element of int a[{size}]?"
    return text, size - 1, 0, f"Indexes run from 0 to {size} − 1 = {size - 1}."


def _pointer_offset(rng):
    values = _array_values(rng, 6)
    k, j = rng.randint(0, 2), rng.randint(1, 3)
    literal = ", ".join(str(v) for v in values)
    text = f"int a[] = {{{literal}}}; int *p = a + {k}; What is *(p + {j})?"
    return text, values[k + j], 0, f"p + {j} points at a[{k + j}], which is {values[k + j]}."


def _factorial(rng):
    n = rng.randint(3, 7)
    text = f"With fact(0) = 1 and fact(n) = n·fact(n − 1), what is fact({n})?"
    return text, math.factorial(n), 0, f"{n}! = {math.factorial(n)}."


def _fibonacci(rng):
    n = rng.randint(5, 12)
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    text = f"With fib(0) = 0, fib(1) = 1 and fib(n) = fib(n − 1) + fib(n − 2), what is fib({n})?"
    return text, a, 0, f"Counting up from fib(0): fib({n}) = {a}."


def _list_hops(rng):
    size = rng.randint(5, 12)
    position = rng.randint(2, size)
    text = (
        f"A singly linked list holds {size} nodes. Starting at head, how many `next` steps reach "
        f"node number {position} (the head is node 1)?"
    )
    return text, position - 1, 0, f"Each step moves one node on: {position} − 1 steps."


# --- Chemistry --------------------------------------------------------------------------------

# Mass numbers and atomic numbers of common isotopes.
ISOTOPES = (
    ("carbon-14", 6, 14),
    ("oxygen-18", 8, 18),
    ("chlorine-37", 17, 37),
    ("uranium-235", 92, 235),
    ("iron-56", 26, 56),
    ("sodium-23", 11, 23),
)
# Molar masses in g/mol, from IUPAC standard atomic weights rounded to two decimals.
COMPOUNDS = (
    ("H₂O", 18.02),
    ("CO₂", 44.01),
    ("NaCl", 58.44),
    ("CH₄", 16.04),
    ("NH₃", 17.03),
    ("C₆H₁₂O₆", 180.16),
)
KELVIN_OFFSET = 273.15
WATER_SPECIFIC_HEAT = 4.18  # J/(g·°C)


def _neutrons(rng):
    name, protons, mass_number = rng.choice(ISOTOPES)
    text = f"How many neutrons are in one atom of {name} (atomic number {protons})?"
    neutrons = mass_number - protons
    return text, neutrons, 0, f"Mass number − atomic number = {mass_number} − {protons}."


def _ion_electrons(rng):
    name, protons, _ = rng.choice(ISOTOPES[:3])
    charge = rng.choice([-2, -1, 1, 2])
    sign = "+" if charge > 0 else "−"
    text = (
        f"How many electrons does a {name.split('-')[0]} ion with charge {abs(charge)}{sign} have?"
    )
    electrons = protons - charge
    return text, electrons, 0, f"{protons} protons minus a charge of {charge}: {electrons}."


def _moles_to_grams(rng):
    formula, molar_mass = rng.choice(COMPOUNDS)
    moles = rng.choice([0.5, 1.5, 2, 2.5, 3, 4])
    value = round(moles * molar_mass, 2)
    text = f"How many grams are in {moles} mol of {formula} ({molar_mass} g/mol)?"
    return text, value, ONE_DECIMAL, f"{moles} × {molar_mass} = {value} g."


def _grams_to_moles(rng):
    formula, molar_mass = rng.choice(COMPOUNDS)
    grams = round(molar_mass * rng.choice([2, 3, 5]) / 2, 2)
    value = round(grams / molar_mass, 2)
    text = (
        f"How many moles are in {grams} g of {formula} ({molar_mass} g/mol)? Round to two decimals."
    )
    return text, value, TWO_DECIMALS, f"{grams} / {molar_mass} = {value} mol."


def _mole_ratio(rng):
    oxygen = rng.randint(2, 9)
    text = f"In 2H₂ + O₂ → 2H₂O, how many mol of H₂O come from {oxygen} mol of O₂?"
    return text, 2 * oxygen, 0, "The ratio O₂ : H₂O is 1 : 2."


def _boyle(rng):
    pressure, volume, factor = rng.randint(1, 4), rng.choice([2, 4, 6, 8, 12]), rng.choice([2, 4])
    new_volume = volume / factor
    value = pressure * factor
    text = (
        f"A gas at {pressure} atm in {volume} L is compressed to {new_volume:g} L at constant "
        "temperature. What is its new pressure (atm)?"
    )
    return text, value, 0, f"Boyle's law: P₁V₁ = P₂V₂, so P₂ = {pressure}·{volume}/{new_volume:g}."


def _charles(rng):
    volume, celsius, new_celsius = (
        rng.randint(1, 5),
        rng.choice([0, 25, 27]),
        rng.choice([100, 127]),
    )
    kelvin, new_kelvin = celsius + KELVIN_OFFSET, new_celsius + KELVIN_OFFSET
    value = round(volume * new_kelvin / kelvin, 2)
    text = (
        f"A gas fills {volume} L at {celsius} °C. At constant pressure, what volume (L) does it "
        f"fill at {new_celsius} °C? Round to two decimals."
    )
    explanation = f"Charles's law in kelvin: {volume} × {new_kelvin} / {kelvin} ≈ {value} L."
    return text, value, TWO_DECIMALS, explanation


def _celsius_to_kelvin(rng):
    celsius = rng.randint(-40, 120)
    value = round(celsius + KELVIN_OFFSET, 2)
    text = f"Convert {celsius} °C to kelvin."
    return text, value, TWO_DECIMALS, f"K = °C + 273.15 = {value}."


def _heat(rng):
    mass, delta = rng.choice([5, 10, 20, 50, 100]), rng.randint(2, 30)
    value = round(mass * WATER_SPECIFIC_HEAT * delta, 1)
    text = (
        f"How much heat (J) warms {mass} g of water by {delta} °C (c = 4.18 J/g·°C)? "
        "Round to one decimal."
    )
    return text, value, ONE_DECIMAL, f"q = mcΔT = {mass} × 4.18 × {delta} = {value} J."


def _molarity(rng):
    moles, millilitres = rng.choice([0.1, 0.2, 0.25, 0.5, 1]), rng.choice([100, 200, 250, 500])
    value = round(moles / (millilitres / 1000), 2)
    text = f"What is the molarity (mol/L) of {moles} mol of NaCl in {millilitres} mL of solution?"
    return text, value, TWO_DECIMALS, f"{millilitres} mL = {millilitres / 1000} L; M = {value}."


def _dilution(rng):
    concentration, volume, factor = rng.choice([1, 2, 3, 6]), rng.choice([50, 100, 200]), 2
    value = volume * factor
    text = (
        f"To dilute {volume} mL of a {concentration} M solution to {concentration / factor:g} M, "
        "what final volume (mL) is needed?"
    )
    return text, value, 0, f"M₁V₁ = M₂V₂: {volume}·{concentration}/{concentration / factor:g}."


GENERATORS: dict[str, list[Generator]] = {
    "Functions and Graphs": [
        Generator("linear-value", "easy", _linear_value),
        Generator("composition", "hard", _composition),
    ],
    "Limits": [
        Generator("factor", "medium", _limit_factor),
        Generator("infinity", "hard", _limit_at_infinity),
    ],
    "Continuity": [
        Generator("piecewise", "hard", _continuity_constant),
        Generator("removable", "medium", _removable_value),
    ],
    "Definition of the Derivative": [
        Generator("by-definition", "medium", _derivative_by_definition),
        Generator("difference-quotient", "easy", _difference_quotient),
    ],
    "Differentiation Rules": [
        Generator("power", "easy", _power_rule),
        Generator("polynomial", "medium", _polynomial_slope),
        Generator("product", "hard", _product_rule),
    ],
    "Chain Rule": [
        Generator("linear-power", "medium", _chain_linear_power),
        Generator("square-cube", "exam_level", _chain_square_cube),
    ],
    "Implicit Differentiation": [
        Generator("circle", "hard", _implicit_circle),
        Generator("hyperbola", "medium", _implicit_hyperbola),
    ],
    "Related Rates": [
        Generator("circle-area", "exam_level", _circle_area_rate),
        Generator("square-area", "medium", _square_area_rate),
    ],
    "Optimization": [
        Generator("product", "medium", _max_product),
        Generator("rectangle", "hard", _max_rectangle),
    ],
    "Antiderivatives": [
        Generator("linear", "medium", _integral_linear),
        Generator("quadratic", "hard", _integral_quadratic),
    ],
    "Variables and Types": [
        Generator("int-division", "medium", _integer_division),
        Generator("modulo", "hard", _modulo),
    ],
    "Control Flow": [
        Generator("loop-count", "medium", _loop_count),
        Generator("loop-sum", "hard", _loop_sum),
    ],
    "Functions": [Generator("nested-call", "medium", _nested_call)],
    "Arrays": [
        Generator("last-index", "easy", _last_index),
        Generator("sum", "medium", _array_sum),
    ],
    "Pointers": [Generator("offset", "hard", _pointer_offset)],
    "Recursion": [
        Generator("factorial", "medium", _factorial),
        Generator("fibonacci", "exam_level", _fibonacci),
    ],
    "Linked Lists": [Generator("hops", "medium", _list_hops)],
    "Atomic Structure": [
        Generator("neutrons", "easy", _neutrons),
        Generator("ion-electrons", "hard", _ion_electrons),
    ],
    "Stoichiometry": [
        Generator("moles-to-grams", "medium", _moles_to_grams),
        Generator("grams-to-moles", "hard", _grams_to_moles),
        Generator("mole-ratio", "easy", _mole_ratio),
    ],
    "Gas Laws": [
        Generator("boyle", "medium", _boyle),
        Generator("charles", "hard", _charles),
        Generator("kelvin", "easy", _celsius_to_kelvin),
    ],
    "Thermochemistry": [Generator("heat", "medium", _heat)],
    "Solutions": [
        Generator("molarity", "medium", _molarity),
        Generator("dilution", "hard", _dilution),
    ],
}


def generated_questions(topic_name: str, rng: random.Random) -> list[dict]:
    """One fresh instance of each generator for the topic; ids are stable per generator, so
    seeding again replaces the instance instead of adding one."""
    return [
        generator.instance(rng, f"gen-{generator.key}")
        for generator in GENERATORS.get(topic_name, [])
    ]
