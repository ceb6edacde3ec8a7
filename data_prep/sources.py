"""One converter per public source: hub column names and value formats -> the unified schema.

Each source lists the column layouts it accepts (train and test files often differ); the first layout whose
columns are all present is used. A converter raises Drop(reason) for a row it cannot use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from data_prep.answers import Drop, any_gold, letter, numeric_gold, parse_choices_block


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


def _geometry3k(row: dict, layout: str) -> dict:
    choices = [str(c) for c in row.get("choices") or []]
    truth = str(row.get("ground_truth") or "").strip()
    if choices and len(truth) == 1 and truth.isalpha():
        answer, kind = truth.upper(), "choice"
        letter("ABCDEFGH".index(answer), choices)  # a letter past the last option drops the row
    else:
        answer, kind = any_gold(row["answer"], choices)
    problem = str(row["problem"]).replace("<image>", "").strip()
    return dict(id=row.get("id"), images=list(row["images"] or []), problem=problem, answer=answer,
                answer_type=kind, choices=choices)


def _count(row: dict, layout: str) -> dict:
    gold, image, problem = ((row["solution"], row["image"], row["problem"]) if layout == "r1v_train"
                            else (row["ground_truth"], row["image_path"], row["question"]))
    answer, kind = numeric_gold(gold)
    if kind != "integer":
        raise Drop("numeric answer does not parse")
    return dict(images=[image], problem=problem, answer=answer, answer_type=kind)


def _maye(row: dict, layout: str) -> dict:
    answer, kind = any_gold(row["answer"])
    return dict(id=row.get("id"), images=[row["image"]], problem=row["question"], answer=answer, answer_type=kind,
                rationale=str(row.get("solution") or ""))


def _mathverse(row: dict, layout: str) -> dict:
    question, choices = str(row["question"]), []
    if "choice" in str(row["question_type"]).lower():
        question, choices = parse_choices_block(question)
    answer, kind = any_gold(row["answer"], choices)
    return dict(id=row.get("sample_index"), images=[row["image"]], problem=question, answer=answer,
                answer_type=kind, choices=choices)


def _mathvista(row: dict, layout: str) -> dict:
    image = row.get("decoded_image") or row.get("image")
    choices = [str(c) for c in row.get("choices") or []]
    if row["question_type"] == "multi_choice":
        if str(row["answer"]) not in choices:
            raise Drop("answer not among the choices")
        answer, kind = letter(choices.index(str(row["answer"])), choices), "choice"
    elif row.get("answer_type") in ("integer", "float"):
        answer, kind = numeric_gold(row["answer"])
    else:
        answer, kind = any_gold(row["answer"])
    return dict(id=row.get("pid"), images=[image], problem=row["question"], answer=answer, answer_type=kind,
                choices=choices)


def _scienceqa(row: dict, layout: str) -> dict:
    if not row.get("image"):
        raise Drop("no image (text-only question)")
    choices = [str(c) for c in row["choices"]]
    hint = str(row.get("hint") or "").strip()
    problem = f"Context: {hint}\n{row['question']}" if hint else row["question"]
    return dict(images=[row["image"]], problem=problem, answer=letter(int(row["answer"]), choices),
                answer_type="choice", choices=choices, rationale=str(row.get("solution") or ""))


def _ai2d(row: dict, layout: str) -> dict:
    choices = [str(c) for c in row["options"]]
    try:
        index = int(str(row["answer"]).strip())
    except ValueError:
        raise Drop("answer is not an option index") from None
    return dict(images=[row["image"]], problem=row["question"], answer=letter(index, choices), answer_type="choice",
                choices=choices)


def _chartqa(row: dict, layout: str) -> dict:
    gold = row["label"] if layout == "m4" else row["answer"]
    gold = gold[0] if isinstance(gold, list) and gold else gold
    answer, kind = any_gold(gold)
    return dict(images=[row["image"]], problem=row["query"] if layout == "m4" else row["question"], answer=answer,
                answer_type=kind)


SOURCES: dict[str, Source] = {
    "geoqa_r1v": Source(
        "GeoQA as R1-V trains (leonardPKU/GEOQA_R1V_Train_8K) and tests (754 rows, Geo170K images)",
        {"r1v_train": ("image", "problem", "solution"), "r1v_test": ("image_path", "question", "ground_truth")},
        _geoqa, "8,031 train / 754 test", "`<answer> 145° </answer>`; `140°`, `3cm`"),
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
        "bare answer; `solution` with `\\boxed{}` becomes the rationale"),
    "mathverse": Source(
        "MathVerse testmini (AI4Math/MathVerse)", {"testmini": ("question", "image", "answer", "question_type")},
        _mathverse, "3,940 testmini", "letter (choices parsed from the question) or free form"),
    "mathvista": Source(
        "MathVista testmini (AI4Math/MathVista)",
        {"testmini": ("question", "choices", "answer", "question_type", "answer_type")}, _mathvista,
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
