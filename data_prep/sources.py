"""One converter per public source: hub column names and value formats -> the unified schema.

Each source lists the column layouts it accepts (train and test files often differ); the first layout whose
columns are all present is used. A converter raises Drop(reason) for a row it cannot use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.schema import LETTERS
from data_prep.answers import (
    Drop,
    answer_type_of,
    any_gold,
    choice_gold,
    letter,
    numeric_gold,
    parse_choices_block,
)
from rewards.compare import choice_letters


@dataclass(frozen=True)
class Source:
    description: str
    layouts: dict[str, tuple[str, ...]]        # layout name -> required columns
    convert: Callable[[dict, str], dict]      # (raw row, layout) -> unified fields (id optional)
    sizes: str = ""                            # rows per split of the public release, for the README table
    answers: str = ""                          # gold formats, for the README table


def _geoqa(row: dict, layout: str) -> dict:
    if layout == "r1v_train":
        answer, kind = numeric_gold(row["solution"])
        return dict(images=[row["image"]], problem=row["problem"], answer=answer, answer_type=kind)
    answer, kind = numeric_gold(row["ground_truth"])
    return dict(images=[row["image_path"]], problem=row["question"], answer=answer, answer_type=kind)


# The prompts below are the benchmarks' own (or lmms-eval's) so that training and eval show the model what the papers'
# numbers were measured on; the options are in the problem text, and `choices` keeps them for scoring.
# lmms-eval's multiple-choice hint without its "directly": these recipes ask for reasoning before the answer (as
# lmms-eval's own chain-of-thought variant for geometry3k does).
LETTER_HINT = "Answer with the option's letter from the given choices."
CHARTQA_HINT = "Answer the question with a single word."  # lmms-eval chartqa.yaml post_prompt


def with_options(question: str, choices: list[str], hint: str = LETTER_HINT) -> str:
    """lmms-eval's multiple-choice prompt (scienceqa, ai2d, geometry3k utils.py): the question, 'A. text' lines, the
    hint."""
    options = "\n".join(f"{LETTERS[i]}. {c}" for i, c in enumerate(choices))
    return f"{question}\n{options}\n{hint}"


def _no_image_tag(text) -> str:
    # '<image>' in question text is a second image placeholder to LLaVA-style tokenizers; TRL adds the real one
    return str(text or "").replace("<image>", "").strip()


def _geometry3k(row: dict, layout: str) -> dict:
    choices = [str(c) for c in row.get("choices") or []]
    truth = str(row.get("ground_truth") or "").strip()
    problem = _no_image_tag(row["problem"])
    if choices and len(truth) == 1 and truth.isalpha():
        answer, kind = truth.upper(), "choice"
        letter("ABCDEFGH".index(answer), choices)  # a letter past the last option drops the row
        problem = with_options(problem, choices)  # lmms-eval geometry3k: a blind 'A' must not be a free reward
    else:
        answer, kind = any_gold(row["answer"], choices)
    return dict(id=row.get("id"), images=list(row["images"] or []), problem=problem, answer=answer,
                answer_type=kind, choices=choices if kind == "choice" else [])


def _count(row: dict, layout: str) -> dict:
    gold, image, problem = ((row["solution"], row["image"], row["problem"]) if layout == "r1v_train"
                            else (row["ground_truth"], row["image_path"], row["question"]))
    answer, kind = numeric_gold(gold)
    if kind != "integer":
        raise Drop("numeric answer does not parse")
    return dict(images=[image], problem=problem, answer=answer, answer_type=kind)


def _maye(row: dict, layout: str) -> dict:
    # MAYE scores against `solution` (maye/datasets/math.py judge: its last boxed sentence, through math-verify);
    # `answer` is the gold only where the solution has no box.
    solution = str(row.get("solution") or "")
    answer, kind = any_gold(solution if "\\boxed" in solution else row["answer"])
    return dict(id=row.get("id"), images=[row["image"]], problem=_no_image_tag(row["question"]), answer=answer,
                answer_type=kind, rationale=solution)


def _mathverse(row: dict, layout: str) -> dict:
    # lmms-eval mathverse: the prompt is the row's own query (query_cot: reason, then answer); it carries the
    # options, and for the vision-only version (empty `question`) it says the question is in the image.
    question = str(row["question"] or "")
    problem = str(row.get("query_cot") or "").strip() or question
    if "choice" in str(row["question_type"]).lower():
        _, choices = parse_choices_block(question)
        answer = choice_gold(row["answer"], choices) if choices else any_gold(row["answer"])[0]
        kind = "choice" if choices or choice_letters(answer) else answer_type_of(answer)
        return dict(id=row.get("sample_index"), images=[row["image"]], problem=problem, answer=answer,
                    answer_type=kind, choices=choices)
    answer, kind = any_gold(row["answer"])
    return dict(id=row.get("sample_index"), images=[row["image"]], problem=problem, answer=answer, answer_type=kind)


def _mathvista(row: dict, layout: str) -> dict:
    # The hub's `query` is MathVista's own prompt (build_query.py): hint, question, unit, options.
    image = row.get("decoded_image") or row.get("image")
    choices = [str(c) for c in row.get("choices") or []]
    precision = -1
    if row["question_type"] == "multi_choice":
        if str(row["answer"]) not in choices:
            raise Drop("answer not among the choices")
        answer, kind = letter(choices.index(str(row["answer"])), choices), "choice"
    elif row.get("answer_type") in ("integer", "float"):
        answer, _ = numeric_gold(row["answer"])
        kind = "integer" if row["answer_type"] == "integer" else "number"  # MathVista's type picks its rule
        if row["answer_type"] == "float" and row.get("precision") is not None:
            precision = int(row["precision"])
    else:
        answer, kind = any_gold(row["answer"])
    return dict(id=row.get("pid"), images=[image], problem=row["query"], answer=answer, answer_type=kind,
                choices=choices, scorer="mathvista", precision=precision)


def _scienceqa(row: dict, layout: str) -> dict:
    if not row.get("image"):
        raise Drop("no image (text-only question)")
    choices = [str(c) for c in row["choices"]]
    hint = str(row.get("hint") or "").strip()
    question = f"Context: {hint}\n{row['question']}" if hint else row["question"]  # lmms-eval sqa_doc_to_text
    return dict(images=[row["image"]], problem=with_options(question, choices),
                answer=letter(int(row["answer"]), choices), answer_type="choice", choices=choices,
                rationale=str(row.get("solution") or ""), scorer="letter")


def _ai2d(row: dict, layout: str) -> dict:
    choices = [str(c) for c in row["options"]]
    try:
        index = int(str(row["answer"]).strip())
    except ValueError:
        raise Drop("answer is not an option index") from None
    return dict(images=[row["image"]], problem=with_options(row["question"], choices),
                answer=letter(index, choices), answer_type="choice", choices=choices, scorer="letter")


def _chartqa(row: dict, layout: str) -> dict:
    gold = row["label"] if layout == "m4" else row["answer"]
    gold = gold[0] if isinstance(gold, list) and gold else gold
    answer, kind = any_gold(gold)
    question = row["query"] if layout == "m4" else row["question"]
    return dict(images=[row["image"]], problem=f"{question}\n{CHARTQA_HINT}", answer=answer, answer_type=kind,
                scorer="relaxed", tolerance=0.05)  # relaxed accuracy, 5 % (Masry et al. 2022; lmms-eval)


SOURCES: dict[str, Source] = {
    "geoqa_r1v": Source(
        "GeoQA as R1-V trains (leonardPKU/GEOQA_R1V_Train_8K) and tests (754 rows, Geo170K images)",
        {"r1v_train": ("image", "problem", "solution"), "r1v_test": ("image_path", "question", "ground_truth")},
        _geoqa, "8,031 train / 754 test", "`<answer> 145° </answer>`; `140°`, `3cm`, `9米`, `4√{3}cm²`, `π`"),
    "geometry3k": Source(
        "Geometry3K (hiyouga/geometry3k): multiple choice over diagram questions",
        {"hiyouga": ("images", "problem", "answer")}, _geometry3k, "2,101 / 300 / 601",
        "option value; `ground_truth` letter with `choices`"),
    "clevr_count": Source(
        "CLEVR counting as R1-V trains (leonardPKU/clevr_cogen_a_train) and SuperCLEVR-200 test jsonl",
        {"r1v_train": ("image", "problem", "solution"), "r1v_test": ("image_path", "question", "ground_truth")},
        _count, "70,000 train / 200 test", "`<answer> 3 </answer>`; `3`"),
    "maye": Source(
        "MAYE's jsonl (ManTle/MAYE): mm_math5k, geometry3k, MathVerse-100; image paths relative to the jsonl",
        {"maye": ("question", "answer", "image")}, _maye, "mm_math5k 5,000; geometry3k 2,101/300/601",
        "`solution`'s last box (what MAYE scores), else `answer`; `solution` becomes the rationale"),
    "mathverse": Source(
        "MathVerse testmini (AI4Math/MathVerse)", {"testmini": ("question", "image", "answer", "question_type")},
        _mathverse, "3,940 testmini", "letters (`(B)`, `C\\nD`, option text -> letters) or free form"),
    "mathvista": Source(
        "MathVista testmini (AI4Math/MathVista)",
        {"testmini": ("query", "choices", "answer", "question_type", "answer_type")}, _mathvista,
        "1,000 testmini", "option text -> letter; integer; float"),
    "scienceqa": Source(
        "ScienceQA image questions (derek-thomas/ScienceQA); text-only rows are dropped and counted",
        {"scienceqa": ("image", "question", "choices", "answer")}, _scienceqa, "6,218 / 2,097 / 2,017 with images",
        "option index -> letter"),
    "ai2d": Source("AI2D diagrams (lmms-lab/ai2d)", {"lmms": ("image", "question", "options", "answer")}, _ai2d,
                   "3,088 test", "option index (string) -> letter"),
    "chartqa": Source(
        "ChartQA (HuggingFaceM4/ChartQA `query`/`label`, or lmms-lab/ChartQA `question`/`answer`)",
        {"m4": ("image", "query", "label"), "lmms": ("image", "question", "answer")}, _chartqa,
        "28,299 / 1,920 / 2,500", "number or short text"),
}
