"""Small local files shaped like each public source: the hub's column names and value formats, generated images,
and bad rows. Each builder returns (input path, extra CLI args, expected) where expected holds the rows_out per
split, the dropped reasons and a few golds."""

from __future__ import annotations

import io
import json
import os
import zipfile

from datasets import Dataset, Features, Image, Sequence, Value
from PIL import Image as PILImage
from PIL import ImageDraw

BROKEN = {"bytes": b"not a png", "path": None}


def picture(seed: int, size=(60, 40)) -> PILImage.Image:
    img = PILImage.new("RGB", size, (255, 255, 255))
    ImageDraw.Draw(img).line((0, seed % 40, 59, 39 - seed % 40), fill=(seed * 40 % 255, 0, 0), width=3)
    return img


def png(seed: int) -> bytes:
    buf = io.BytesIO()
    picture(seed).save(buf, format="PNG")
    return buf.getvalue()


def image_cell(seed: int) -> dict:
    return {"bytes": png(seed), "path": None}


def parquet(path: str, rows: list[dict], features: dict) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Dataset.from_list(rows, features=Features(features)).to_parquet(path)
    return path


def jsonl(path: str, rows: list, bad_lines: int = 0) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
        f.write("{not json\n" * bad_lines)
    return path


S = Value("string")


def geoqa_r1v_train(root):
    rows = [
        {"image": image_cell(0), "problem": "As shown, find angle ABC.", "solution": "<answer> 145° </answer>"},
        {"image": image_cell(1), "problem": "Find AB.", "solution": "<answer> 3cm </answer>"},
        {"image": image_cell(2), "problem": "Find BC.", "solution": "<answer> 2\\sqrt{3} </answer>"},
        {"image": BROKEN, "problem": "Broken image.", "solution": "<answer> 30° </answer>"},
        {"image": image_cell(3), "problem": "Empty gold.", "solution": "<answer>  </answer>"},
        {"image": image_cell(4), "problem": "Not a number.", "solution": "<answer> banana </answer>"},
        {"image": image_cell(5), "problem": "   ", "solution": "<answer> 40° </answer>"},
    ]
    path = parquet(f"{root}/data/train-00000-of-00001.parquet", rows,
                   {"image": Image(), "problem": S, "solution": S})
    expected = {"train": 3}, {"image does not decode": 1, "empty answer": 1, "numeric answer does not parse": 1,
                              "empty question": 1}
    return path, [], expected, {"145°": "degrees", "3cm": "length", "2\\sqrt{3}": "expression"}


# Golds of R1-V's GeoQA test jsonl (Deep-Agent/R1-V src/eval/prompts/geoqa_test_prompts.jsonl), one of each shape
GEOQA_TEST_GOLDS = {"140°": "degrees", "3cm": "length", "9米": "length", "3.6秒": "length", "40海里": "length",
                    "16π平方米": "expression", "4√{3}cm²": "expression", "π": "expression",
                    "(√{3}+1)小时": "expression", "2√{3}": "expression", "\\frac{√{3}}{2}": "expression",
                    "4πcm": "expression", "50πm^{2}": "expression", "5cm^2^": "length", "\\frac{1}{2}cm²": "length"}


def geoqa_r1v_test(root):
    """R1-V's GeoQA test: jsonl with image_path into Geo170K, images shipped as a zip."""
    os.makedirs(root, exist_ok=True)
    golds = list(GEOQA_TEST_GOLDS)
    with zipfile.ZipFile(f"{root}/Geo170K.zip", "w") as z:
        for i in range(len(golds)):
            z.writestr(f"Geo170K/images/test/{i}.png", png(i))
    rows = [{"image_path": f"./Geo170K/images/test/{i}.png", "question": f"Q{i}: find the value.",
             "ground_truth": gt} for i, gt in enumerate(golds)]
    rows.append({"image_path": "./Geo170K/images/test/99.png", "question": "missing image", "ground_truth": "10°"})
    path = jsonl(f"{root}/geoqa_test_prompts.jsonl", rows, bad_lines=1)
    expected = {"test": len(golds)}, {"image does not decode": 1, "row is not valid JSON": 1}
    return path, ["--images", f"{root}/Geo170K.zip"], expected, GEOQA_TEST_GOLDS


def geometry3k(root):
    def row(i, gt, rid=None, choices=("3", "4", "5", "6")):
        return {"images": [image_cell(i)], "problem": f"<image>Find x. ({i})", "answer": choices[2] if choices else "5",
                "id": rid or str(i), "choices": list(choices), "ground_truth": gt}
    features = {"images": Sequence(Image()), "problem": S, "answer": S, "id": S, "choices": Sequence(S),
                "ground_truth": S}
    parquet(f"{root}/data/train-00000-of-00001.parquet", [row(0, "C"), row(1, "C"), row(2, "C", rid="1"),
                                                         row(3, "F")], features)
    parquet(f"{root}/data/validation-00000-of-00001.parquet", [row(4, "C")], features)
    parquet(f"{root}/data/test-00000-of-00001.parquet", [row(5, "C"), row(6, "C")], features)
    expected = {"train": 2, "validation": 1, "test": 2}, {"duplicate id": 1, "answer index outside the choices": 1}
    return f"{root}/data", [], expected, {"C": "choice"}


def clevr_count_train(root):
    rows = [{"image": image_cell(i), "problem": "How many items are there in the image?",
             "solution": f"<answer> {n} </answer>"} for i, n in enumerate([3, 7, "three"])]
    path = parquet(f"{root}/data/train-00000.parquet", rows, {"image": Image(), "problem": S, "solution": S})
    return path, [], ({"train": 2}, {"numeric answer does not parse": 1}), {"3": "integer", "7": "integer"}


def clevr_count_test(root):
    """SuperCLEVR-200: jsonl, integer ground truths, images in a folder beside it."""
    os.makedirs(f"{root}/images", exist_ok=True)
    for i in range(2):
        picture(i).save(f"{root}/images/superCLEVR_new_{i:06d}.png")
    rows = [{"image_path": f"images/superCLEVR_new_{i:06d}.png", "question": "How many cars?", "ground_truth": n}
            for i, n in enumerate([4, 2])]
    rows.append({"image_path": "images/superCLEVR_new_000000.png", "question": "", "ground_truth": 1})
    path = jsonl(f"{root}/superclevr_test200_counting_problems.jsonl", rows)
    return path, [], ({"test": 2}, {"empty question": 1}), {"4": "integer", "2": "integer"}


def maye(root):
    """MAYE's jsonl: `<image>` opens the question; MAYE scores against `solution` (its last box), not `answer`."""
    os.makedirs(f"{root}/mm_math/images", exist_ok=True)
    for i in range(2):
        picture(i).save(f"{root}/mm_math/images/{i}.png")
    rows = [{"id": "mm_0", "question": "<image>Find the area of figure 0.", "answer": "12",
             "solution": "The area is 3 \\times 4, so \\boxed{12}", "image": "images/0.png"},
            {"id": "mm_1", "question": "<image>Find the ratio.", "answer": "\\frac{3}{2}",
             "solution": "So the ratio is \\boxed{1.5}", "image": "images/1.png"}]
    rows.append({"id": "mm_2", "question": "Missing image.", "answer": "1", "solution": "", "image": "images/9.png"})
    rows.append({"id": "mm_3", "question": "No gold.", "answer": "", "solution": "", "image": "images/0.png"})
    path = jsonl(f"{root}/mm_math/mm_math_train.jsonl", rows)
    return path, ["--split", "train"], ({"train": 2}, {"image does not decode": 1, "empty answer": 1}), \
        {"12": "integer", "1.5": "number"}


def mathverse(root):
    """MathVerse testmini: `query_cot` is the prompt (it carries the options); vision-only rows have no `question`;
    multiple-choice golds are letters, '(B)', several letters or an option's text; free-form golds are labelled."""
    def row(i, version, question, answer, qtype="multi-choice", query=None):
        return {"sample_index": str(i), "problem_index": str(i), "problem_version": version, "question": question,
                "image": image_cell(i), "answer": answer, "question_type": qtype, "metadata": "{}", "query_wo": "",
                "query_cot": query if query is not None else f"Please first conduct reasoning...\nQuestion: {question}"}
    rows = [
        row(1, "Text Dominant", "As shown in the figure, find angle 1.\nChoices:\nA:30°\nB:60°\nC:90°", "B"),
        row(2, "Vision Only", "", "C", query="According to the question shown in the image, please first conduct "
            "reasoning, and then answer the question and provide the correct option letter, e.g., A, B, C, D, "
            "at the end."),
        row(3, "Text Lite", "Which describes y?\nChoices:\nA.$y$ is constant\nB.$y$ is decreasing\nC.$y$ grows", "(C)"),
        row(4, "Text Dominant", "Which two are opposite?\nChoices:\nA:$a$\nB:$b$\nC:$c$\nD:$d$", "C\nD"),
        row(5, "Text Dominant", "True or false: it is shorter.\nChoice:\nA. True\nB. False", "False"),
        row(6, "Text Dominant", "Find the area.", "Area $=113.1 \\mathrm{~cm}^{2}$", qtype="free-form"),
        row(7, "Vision Only", "", "Center $=(20,10)$", qtype="free-form", query="According to the question shown in "
            "the image, please first conduct reasoning, and then answer the question."),
        row(8, "Vision Only", "Same id again.", "3", qtype="free-form"),
        row(9, "Text Dominant", "Pick one.\nChoices:\nA:1\nB:2", "E"),
    ]
    rows[7]["sample_index"] = "7"
    features = {k: S for k in rows[0]} | {"image": Image()}
    path = parquet(f"{root}/testmini.parquet", rows, features)
    return path, [], ({"testmini": 7}, {"duplicate id": 1, "answer not among the choices": 1}), \
        {"B": "choice", "C": "choice", "C, D": "choice", "Area $=113.1 \\mathrm{~cm}^{2}$": "length",
         "Center $=(20,10)$": "expression"}


def mathvista(root):
    def row(pid, qtype, atype, answer, choices=None, image=0, precision=None, unit=None):
        hint = {"integer": "requiring an integer answer", "float": "requiring a floating-point number"}.get(atype, "")
        options = "\nChoices:\n" + "\n".join(f"({'ABCDE'[i]}) {c}" for i, c in enumerate(choices)) if choices else ""
        return {"pid": pid, "question": f"Question {pid}?", "image": f"images/{pid}.jpg",
                "decoded_image": image_cell(image) if image is not None else None, "choices": choices, "unit": unit,
                "precision": precision, "answer": answer, "question_type": qtype, "answer_type": atype,
                "metadata": {"source": "x"},
                "query": f"Hint: Please answer the question {hint} and provide ... at the end.\nQuestion: Question "
                         f"{pid}?{f' (Unit: {unit})' if unit else ''}{options}"}
    rows = [row("1", "multi_choice", "text", "green", ["red", "green", "blue"]),
            row("2", "free_form", "integer", "7", unit="cm"), row("3", "free_form", "float", "1.5", precision=1.0),
            row("4", "multi_choice", "text", "purple", ["red", "green"]),
            row("5", "free_form", "integer", "seven"), row("6", "free_form", "float", "0.57", precision=2.0)]
    features = {"pid": S, "question": S, "image": S, "decoded_image": Image(), "choices": Sequence(S), "unit": S,
                "precision": Value("float64"), "answer": S, "question_type": S, "answer_type": S,
                "metadata": {"source": S}, "query": S}
    path = parquet(f"{root}/data/testmini-00000-of-00001.parquet", rows, features)
    expected = {"testmini": 4}, {"answer not among the choices": 1, "numeric answer does not parse": 1}
    return path, [], expected, {"B": "choice", "7": "integer", "1.5": "number", "0.57": "number"}


def scienceqa(root):
    def row(i, image=True, answer=1):
        return {"image": image_cell(i) if image else None, "question": f"Which is a mammal? ({i})",
                "choices": ["frog", "whale", "shark"], "answer": answer, "hint": "Look closely." if i else "",
                "task": "closed choice", "grade": "grade3", "subject": "natural science", "topic": "biology",
                "category": "c", "skill": "s", "lecture": "L", "solution": "Whales are mammals."}
    features = {"image": Image(), "question": S, "choices": Sequence(S), "answer": Value("int64"), "hint": S,
                "task": S, "grade": S, "subject": S, "topic": S, "category": S, "skill": S, "lecture": S,
                "solution": S}
    path = parquet(f"{root}/data/validation-00000.parquet", [row(0), row(1), row(2, image=False), row(3, answer=5)],
                   features)
    expected = {"validation": 2}, {"no image (text-only question)": 1, "answer index outside the choices": 1}
    return path, [], expected, {"B": "choice"}


def ai2d(root):
    rows = [{"question": f"Which label shows the sun? ({i})", "options": ["D", "A", "B", "C"], "answer": a,
             "image": image_cell(i)} for i, a in enumerate(["2", "0", "x"])]  # options that are letters, as in AI2D
    path = parquet(f"{root}/data/test-00000.parquet", rows,
                   {"question": S, "options": Sequence(S), "answer": S, "image": Image()})
    return path, [], ({"test": 2}, {"answer is not an option index": 1}), {"C": "choice", "A": "choice"}


def chartqa(root):
    rows = [{"image": image_cell(i), "query": q, "label": [a], "human_or_machine": 0}
            for i, (q, a) in enumerate([("What is the peak value?", "14"), ("Which year is highest?", "2019"),
                                        ("Which colour is the largest?", "Blue"), ("Empty?", "")])]
    path = parquet(f"{root}/data/test-00000.parquet", rows,
                   {"image": Image(), "query": S, "label": Sequence(S), "human_or_machine": Value("int64")})
    return path, [], ({"test": 3}, {"empty answer": 1}), {"14": "integer", "Blue": "text"}


FIXTURES = {
    "geoqa_r1v": [geoqa_r1v_train, geoqa_r1v_test], "geometry3k": [geometry3k],
    "clevr_count": [clevr_count_train, clevr_count_test], "maye": [maye], "mathverse": [mathverse],
    "mathvista": [mathvista], "scienceqa": [scienceqa], "ai2d": [ai2d], "chartqa": [chartqa],
}
