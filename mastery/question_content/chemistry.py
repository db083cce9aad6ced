"""Text questions for General Chemistry I (CHEM 1411), keyed by topic name.

Source: written for this project. Licence: the project's own licence (the same terms as the
code in this repository).
"""

from mastery.question_content.builders import mc, num, sa, tf

QUESTIONS: dict[str, list[dict]] = {
    "Atomic Structure": [
        num(
            "at-1",
            "easy",
            "How many protons does a carbon atom have?",
            6,
            0,
            "Carbon's atomic number is 6.",
        ),
        mc(
            "at-2",
            "medium",
            "Isotopes of an element differ in their number of:",
            ["Neutrons", "Protons", "Electrons in a neutral atom", "Energy levels"],
            "Neutrons",
            "Same protons, different neutrons.",
        ),
    ],
    "Periodic Trends": [
        tf(
            "pt-1",
            "medium",
            "Atomic radius decreases across a period from left to right.",
            True,
            "More protons pull the same shell closer.",
        ),
        mc(
            "pt-2",
            "medium",
            "Which element has the highest electronegativity?",
            ["Fluorine", "Oxygen", "Chlorine", "Sodium"],
            "Fluorine",
            "Fluorine tops the Pauling scale.",
        ),
        tf(
            "pt-3",
            "easy",
            "Elements in the same group have the same number of valence electrons.",
            True,
            "A group is a column: its elements share their outer-shell configuration.",
        ),
        mc(
            "pt-4",
            "hard",
            "Which of these atoms has the largest first ionization energy?",
            ["Neon", "Sodium", "Magnesium", "Potassium"],
            "Neon",
            "A noble gas holds its full outer shell tightly; ionization energy rises across a "
            "period and falls down a group.",
        ),
    ],
    "Chemical Bonding": [
        mc(
            "cb-1",
            "medium",
            "NaCl is held together by:",
            ["Ionic bonds", "Covalent bonds", "Metallic bonds", "Hydrogen bonds"],
            "Ionic bonds",
            "Na⁺ and Cl⁻ attract electrostatically.",
        ),
        num(
            "cb-2",
            "hard",
            "How many lone pairs are on the oxygen atom of water?",
            2,
            0,
            "Oxygen has six valence electrons: two in bonds, four in two lone pairs.",
        ),
        mc(
            "cb-3",
            "easy",
            "A covalent bond forms when two atoms:",
            ["Share electrons", "Transfer electrons", "Share protons", "Repel each other"],
            "Share electrons",
            "Ionic bonds transfer electrons; covalent bonds share a pair.",
        ),
        mc(
            "cb-4",
            "exam_level",
            "What is the shape of a CO₂ molecule?",
            ["Linear", "Bent", "Trigonal planar", "Tetrahedral"],
            "Linear",
            "Two electron domains around carbon and no lone pairs give a 180° angle.",
        ),
    ],
    "Stoichiometry": [
        num(
            "st-1",
            "hard",
            "How many grams are in 2 mol of water (18.02 g/mol)?",
            36.04,
            0.05,
            "2 × 18.02 = 36.04 g.",
        ),
        num(
            "st-2",
            "medium",
            "In 2H₂ + O₂ → 2H₂O, how many mol of H₂O come from 3 mol of O₂?",
            6,
            0,
            "The ratio O₂ : H₂O is 1 : 2.",
        ),
    ],
    "Gas Laws": [
        num(
            "gl-1",
            "medium",
            "A gas at 2 atm in 4 L is compressed to 2 L at constant T. Pressure (atm)?",
            4,
            0,
            "Boyle's law: P₁V₁ = P₂V₂.",
        ),
        sa(
            "gl-2",
            "easy",
            "Write the ideal gas law.",
            "PV = nRT",
            ["pv=nrt"],
            "Pressure times volume equals moles times R times temperature.",
        ),
    ],
    "Thermochemistry": [
        tf(
            "tc-1",
            "medium",
            "An exothermic reaction has a negative ΔH.",
            True,
            "The system releases heat, so its enthalpy falls.",
        ),
        num(
            "tc-2",
            "hard",
            "Heat (J) to warm 10 g of water by 5 °C (c = 4.18 J/g·°C)?",
            209,
            0.5,
            "q = mcΔT = 10 × 4.18 × 5 = 209 J.",
        ),
        mc(
            "tc-3",
            "easy",
            "Which law lets you add the ΔH of steps to get the ΔH of the overall reaction?",
            ["Hess's law", "Boyle's law", "Charles's law", "Avogadro's law"],
            "Hess's law",
            "Enthalpy is a state function, so the path does not matter.",
        ),
    ],
    "Solutions": [
        num(
            "sol-1",
            "medium",
            "Molarity of 0.5 mol NaCl in 0.25 L of solution?",
            2,
            0,
            "M = mol / L = 0.5 / 0.25 = 2.",
        ),
        mc(
            "sol-2",
            "easy",
            "In salt water, the solvent is:",
            ["Water", "Salt", "Both", "Neither"],
            "Water",
            "The solvent is the component present in the larger amount.",
        ),
    ],
}
