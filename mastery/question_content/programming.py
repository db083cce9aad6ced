"""Text questions for Computer Science I in C++ (CS 1337), keyed by topic name.

Source: written for this project. Licence: the project's own licence (the same terms as the
code in this repository).
"""

from mastery.question_content.builders import mc, ms, num, sa, tf

QUESTIONS: dict[str, list[dict]] = {
    "Variables and Types": [
        mc(
            "vt-1",
            "easy",
            "Which C++ type holds a single character?",
            ["char", "int", "bool", "double"],
            "char",
            "char stores one character.",
        ),
        num(
            "vt-2",
            "medium",
            "In C++, what is 7 / 2 with two int operands?",
            3,
            0,
            "Integer division truncates toward zero.",
        ),
    ],
    "Control Flow": [
        num(
            "cf-1",
            "easy",
            "How many times does for (int i = 0; i < 5; i++) run its body?",
            5,
            0,
            "i takes 0, 1, 2, 3 and 4.",
        ),
        tf(
            "cf-2",
            "medium",
            "A do-while loop always runs its body at least once.",
            True,
            "The condition is tested after the body.",
        ),
    ],
    "Functions": [
        sa(
            "fn-1",
            "medium",
            "What return type does a C++ function that returns nothing have?",
            "void",
            [],
            "void marks the absence of a return value.",
        ),
        mc(
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
        mc(
            "fn-3",
            "easy",
            "Which keyword sends a value back from a C++ function?",
            ["return", "yield", "break", "exit"],
            "return",
            "return ends the function and gives the caller its value.",
        ),
    ],
    "Arrays": [
        num(
            "arr-1",
            "easy",
            "What is the index of the last element of an array of 10?",
            9,
            0,
            "Indexes start at 0.",
        ),
        tf(
            "arr-2",
            "medium",
            "C++ checks array bounds on every access with [].",
            False,
            "Out-of-bounds access with [] is undefined behaviour.",
        ),
    ],
    "Pointers": [
        mc(
            "ptr-1",
            "hard",
            "If p points to x, what is *p?",
            ["The value of x", "The address of x", "The address of p", "Always 0"],
            "The value of x",
            "* dereferences the pointer.",
        ),
        sa(
            "ptr-2",
            "medium",
            "Which operator gives the address of a variable?",
            "&",
            [],
            "&x is the address of x.",
        ),
        tf(
            "ptr-3",
            "easy",
            "A pointer that is set to nullptr points at no object.",
            True,
            "nullptr is the null pointer value; dereferencing it is undefined behaviour.",
        ),
    ],
    "Recursion": [
        num(
            "rec-1",
            "hard",
            "With fact(0) = 1 and fact(n) = n·fact(n − 1), what is fact(5)?",
            120,
            0,
            "5·4·3·2·1 = 120.",
        ),
        tf(
            "rec-2",
            "medium",
            "Every recursive function needs a base case to terminate.",
            True,
            "Without one it recurses until the stack overflows.",
        ),
    ],
    "Classes and Objects": [
        mc(
            "cls-1",
            "medium",
            "Which member runs when an object is created?",
            ["Constructor", "Destructor", "Getter", "Friend function"],
            "Constructor",
            "Constructors initialize new objects.",
        ),
        tf(
            "cls-2",
            "easy",
            "Members of a C++ class are private by default.",
            True,
            "class defaults to private; struct to public.",
        ),
        sa(
            "cls-3",
            "hard",
            "Which special member function runs when an object goes out of scope?",
            "destructor",
            ["the destructor", "~"],
            "The destructor (~ClassName) releases what the object holds.",
        ),
        mc(
            "cls-4",
            "exam_level",
            "Which access level lets a derived class, but not other code, use a member?",
            ["protected", "private", "public", "friend"],
            "protected",
            "protected members are visible to the class and to classes derived from it.",
        ),
    ],
    "Linked Lists": [
        mc(
            "ll-1",
            "exam_level",
            "Inserting at the head of a singly linked list takes:",
            ["O(1)", "O(n)", "O(log n)", "O(n²)"],
            "O(1)",
            "Only the head pointer changes.",
        ),
        ms(
            "ll-2",
            "hard",
            "What does each node of a singly linked list hold?",
            ["Data", "A pointer to the next node", "A pointer to the previous node", "Its index"],
            ["Data", "A pointer to the next node"],
            "Previous pointers are for doubly linked lists.",
        ),
        mc(
            "ll-3",
            "easy",
            "What does the last node of a singly linked list point to?",
            ["nullptr", "The head", "Itself", "The previous node"],
            "nullptr",
            "A null next pointer marks the end of the list.",
        ),
    ],
}
