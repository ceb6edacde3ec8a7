"""Accuracy on real answer formats and on the reward hacks peers fell for:
(completion answer, gold, choices, expected)."""

import pytest

from rewards import accuracy_reward, get_accuracy_reward

A = "<think>reasoning</think><answer>{}</answer>"

NUMERIC_EQUIVALENTS = {
    "145°": ["145°", "145", "145 degrees", "145 degree", "145^\\circ", "145^{\\circ}", "145\\circ", " 145° ", "145.0",
             "145 °", "145 deg"],
    "3cm": ["3cm", "3 cm", "3", "3.0 cm", "3\\text{cm}", "3 \\text{ cm}"],
    "1,000": ["1000", "1,000", "1000.0"],
    "-4": ["-4", "-4.0", "−4".replace("−", "-")],
    "0.5": ["0.5", ".5", "1/2", "\\frac{1}{2}", "\\dfrac{1}{2}", "50%"],
    "2/3": ["2/3", "\\frac{2}{3}", "4/6"],
    "12": ["12", "12.", "12.000", "$12$", "\\boxed{12}", "+12", "12 units"],
    "2\\sqrt{3}": ["2\\sqrt{3}", "2√3", "\\sqrt{12}", "2 \\sqrt{3}"],
    "\\frac{\\pi}{4}": ["\\frac{\\pi}{4}", "\\pi/4", "0.25\\pi"],
    "x^2+1": ["x^2+1", "1+x^2", "x^{2}+1"],
}
NUMERIC_WRONG = {
    "145°": ["140°", "14.5", "1450", "145 cm", "35°", "145 or 35", ""],
    "3cm": ["3 m", "4cm", "30 mm", "three"],
    "1,000": ["100", "1", "10,000"],
    "-4": ["4", "-40", "--4"],
    "0.5": ["0.05", "5", "1/3", "0.51"],
    "2/3": ["3/2", "0.66", "2"],
    "12": ["13", "1.2", "120", "x", "12.5", "-12"],
    "2\\sqrt{3}": ["2\\sqrt{2}", "3\\sqrt{2}", "6"],
    "\\frac{\\pi}{4}": ["\\pi", "4\\pi"],
    "x^2+1": ["x^2-1", "x+1"],
}
CHOICES = ["60°", "45°", "30°", "90°"]
CHOICE_RIGHT = ["B", "(B)", "B.", "B)", "[B]", "B. 45°", "B: 45°", "b", "(b)", "45°", "Option B", "B. ", " B "]
CHOICE_WRONG = ["A", "A or B", "A, B, C, D", "A B", "AB", "B or C", "60°", "(A)", "", "None", "B and C", "C. 45°",
                "the answer is B", "b. 60 degrees"]
YESNO = [("yes", "Yes", 1), ("Yes.", "yes", 1), ("no", "No", 1), ("NO", "no", 1), ("yes", "no", 0), ("no", "yes", 0),
         ("yes and no", "yes", 0), ("maybe", "no", 0), ("True", "yes", 1)]
TEXT = [("red", "Red", 1), ("Red.", "red", 1), ("red circle", "red", 0), ("redish", "red", 0), ("blue", "red", 0),
        ("cube", "cube", 1), ("Cylinder", "cylinder", 1), ("the cube", "cube", 0), ("cubes", "cube", 0)]

# Golds as public files write them (R1-V's GeoQA test, MathVerse, NuminaMath) and answers as models write them.
REAL_GOLDS = [
    # units in any script, glued or spaced, after a number, a root or π (R1-V GeoQA test golds)
    ("9", "9米", 1), ("9 m", "9米", 1), ("9 meters", "9米", 1), ("9 cm", "9米", 0), ("8", "9米", 0),
    ("3.6", "3.6秒", 1), ("40", "40海里", 1), ("16\\pi", "16π平方米", 1), ("16\\pi m^2", "16π平方米", 1),
    ("4\\pi", "4πcm", 1), ("4\\pi cm", "4πcm", 1), ("4\\pi m", "4πcm", 0), ("50\\pi", "50πm^{2}", 1),
    ("\\pi", "π", 1), ("3.14", "π", 0), ("4\\sqrt{3}", "4√{3}cm²", 1), ("4\\sqrt{2}", "4√{3}cm²", 0),
    ("2\\sqrt{3}", "2√{3}", 1), ("2√{3}", "2√{3}", 1), ("\\sqrt{12}", "2√{3}", 1), ("2\\sqrt{2}", "2√{3}", 0),
    ("\\frac{\\sqrt{3}}{2}", "\\frac{√{3}}{2}", 1), ("\\sqrt{3}+1", "(√{3}+1)小时", 1), ("5", "5cm^2^", 1),
    ("\\frac{1}{2}", "\\frac{1}{2}cm²", 1), ("2", "2x", 0),
    # MathVerse free-form golds: a label, '$', LaTeX units
    ("113.1", "Area $=113.1 \\mathrm{~cm}^{2}$", 1), ("113.1 cm^2", "Area $=113.1 \\mathrm{~cm}^{2}$", 1),
    ("113.1 m^2", "Area $=113.1 \\mathrm{~cm}^{2}$", 0), ("(20,10)", "Center $=(20,10)$", 1),
    ("(10,20)", "Center $=(20,10)$", 0), ("15", "$h=15$", 1), ("9\\pi", "Area $=9 \\pi \\mathrm{cm}^{2}$", 1),
    ("452.389", "Volume $=452.389$ cubic units", 1), ("8128.5", "Surface Area $=8128.50$ units $^{2}$", 1),
    ("\\frac{7}{4}", "=\\frac{7}{4}", 1), ("35°", "35掳", 1),
    # several boxes are one answer, compared whole: never credit a subset
    ("\\boxed{2}, \\boxed{3}", "\\boxed{2}, \\boxed{3}", 1), ("2, 3", "\\boxed{2}, \\boxed{3}", 1),
    ("3, 2", "\\boxed{2}, \\boxed{3}", 1), ("3", "\\boxed{2}, \\boxed{3}", 0), ("2", "\\boxed{2}, \\boxed{3}", 0),
    ("2, 3, 4", "\\boxed{2}, \\boxed{3}", 0), ("\\boxed{2} and \\boxed{3}", "\\boxed{2} and \\boxed{3}", 1),
    # option letters wrapped in LaTeX
    ("\\boxed{\\text{A}}", "A", 1), ("\\text{(C)}", "C", 1), ("\\mathrm{E}", "E", 1), ("\\textbf{A}", "A", 1),
    ("$\\text{B}$", "B", 1), ("\\textbf{B}", "A", 0),
    # percent, with or without LaTeX's backslash, on either side: x% is x or x/100 (math-verify's reading)
    ("20%", "20\\%", 1), ("20\\%", "20%", 1), ("20", "20%", 1), ("0.2", "20\\%", 1), ("20\\%", "0.2", 1),
    ("2%", "20%", 0), ("0.02", "20%", 0),
    # degrees spelled out
    ("60\\text{ degrees}", "60°", 1), ("60\\textdegree", "60°", 1), ("60 degrees", "60°", 1),
    ("61\\textdegree", "60°", 0),
]

CASES = (
    [(A.format(p), g, None, 1.0) for g, ps in NUMERIC_EQUIVALENTS.items() for p in ps]
    + [(A.format(p), g, None, 0.0) for g, ps in NUMERIC_WRONG.items() for p in ps]
    + [(A.format(p), "B", CHOICES, 1.0) for p in CHOICE_RIGHT]
    + [(A.format(p), "B", CHOICES, 0.0) for p in CHOICE_WRONG]
    + [(A.format(p), g, None, float(e)) for p, g, e in YESNO + TEXT + REAL_GOLDS]
    + [
        # gold wrapped as the datasets ship it
        (A.format("145°"), "<answer> 145° </answer>", None, 1.0),
        (A.format("20"), "\\boxed{20}", None, 1.0),
        (A.format("5"), "$5$", None, 1.0),
        (A.format("B"), "(B)", CHOICES, 1.0),
        # only the final answer counts, never a number in the reasoning
        ("<think>maybe 145 degrees</think><answer>140</answer>", "145", None, 0.0),
        ("The answer is 145.", "145", None, 0.0),
        ("<think>I get 145</think>", "145", None, 0.0),
        ("<answer>140</answer> wait, actually <answer>145</answer>", "145", None, 1.0),
        ("<answer>145</answer> then <answer>140</answer>", "145", None, 0.0),
        ("<think>x</think> so \\boxed{145}", "145", None, 1.0),
        ("\\boxed{140} and finally \\boxed{145}", "145", None, 1.0),
        ("<answer>The result is \\boxed{145}</answer>", "145", None, 1.0),
        ("<answer>\\boxed{145</answer>", "145", None, 0.0),
        ("<answer></answer>", "145", None, 0.0),
        ("<answer>   </answer>", "B", CHOICES, 0.0),
        ("<think>\nmulti\nline\n</think>\n<answer>\n145\n</answer>", "145", None, 1.0),
        ([{"role": "assistant", "content": A.format("145")}], "145", None, 1.0),
        ([{"role": "assistant", "content": A.format("1")}], "145", None, 0.0),
        (A.format("x = 5"), "5", None, 1.0),
        (A.format("5" * 5000), "5", None, 0.0),
        (A.format("1/0"), "1", None, 0.0),
        (A.format("NaN"), "1", None, 0.0),
        (A.format("inf"), "1", None, 0.0),
    ]
)


def test_table_has_at_least_150_cases():
    assert len(CASES) >= 150


@pytest.mark.parametrize("completion,gold,choices,expected", CASES)
def test_accuracy_case(completion, gold, choices, expected):
    assert accuracy_reward([completion], solution=[gold], choices=[choices]) == [expected]


@pytest.mark.parametrize("gold", ["", "   ", "<answer> </answer>", "\\boxed{}", "\\frac{", "$$"])
def test_gold_that_cannot_be_parsed_gives_none_never_one(gold):
    logged = {}
    scores = accuracy_reward([A.format("1"), A.format("")], solution=[gold, gold],
                             log_metric=lambda k, v: logged.__setitem__(k, v))
    assert scores == [None, None]
    assert logged["accuracy/gold_unparsable"] == 1.0


def test_negative_variant_scores_wrong_as_minus_one():
    fn = get_accuracy_reward(negative=True)
    assert fn([A.format("3"), A.format("4"), "no tags"], solution=["3", "3", "3"]) == [1.0, -1.0, -1.0]


def test_format_gate_zeroes_a_correct_answer_in_the_wrong_format():
    gated = get_accuracy_reward(gate="think")
    assert gated(["<answer>3</answer>", A.format("3")], solution=["3", "3"]) == [0.0, 1.0]
    boxed = get_accuracy_reward(gate="boxed")
    assert boxed(["<think>a</think> \\boxed{3}", "\\boxed{3}"], solution=["3", "3"]) == [1.0, 0.0]


def test_answer_column_is_used_when_there_is_no_solution_column():
    assert accuracy_reward([A.format("7")], answer=["7"]) == [1.0]
    with pytest.raises(ValueError, match="gold"):
        accuracy_reward([A.format("7")])


@pytest.mark.parametrize("gold", ["212°T", "domain: (2,8] and range: [6,8)", "10km / h"])  # MathVerse golds
def test_a_gold_math_verify_cannot_read_still_accepts_its_own_text(gold):
    assert accuracy_reward([A.format(gold), A.format("212")], solution=[gold, gold]) == [1.0, None]
