"""Offline verifiable tasks drawn with PIL: counting (CLEVR-like), angles (GeoQA-like), choice (geometry3k-like)."""

from __future__ import annotations

import math
import random

from PIL import Image, ImageDraw, ImageFont

TASKS = ("counting", "shapes", "angles", "choice")
COLORS = {"red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 220), "yellow": (230, 200, 30)}
SHAPES = ("circle", "square", "triangle")


def _draw_shape(draw: ImageDraw.ImageDraw, shape: str, box: tuple[int, int, int, int], fill) -> None:
    x0, y0, x1, y1 = box
    if shape == "circle":
        draw.ellipse(box, fill=fill)
    elif shape == "square":
        draw.rectangle(box, fill=fill)
    else:
        draw.polygon([((x0 + x1) / 2, y0), (x1, y1), (x0, y1)], fill=fill)


def counting(rng: random.Random, side: int, min_count: int, max_count: int) -> dict:
    """N target shapes of one colour and kind among distractors; cells of a grid keep them apart."""
    color, shape = rng.choice(list(COLORS)), rng.choice(SHAPES)
    count = rng.randint(min_count, max_count)
    grid = 4
    cells = rng.sample(range(grid * grid), k=min(grid * grid, count + rng.randint(1, 4)))
    image = Image.new("RGB", (side, side), "white")
    draw = ImageDraw.Draw(image)
    cell = side // grid
    for i, c in enumerate(cells):
        if i < count:
            kind, fill = shape, COLORS[color]
        else:  # a distractor differs in colour or shape, never both-equal
            kind, col = rng.choice([(s, k) for s in SHAPES for k in COLORS if (s, k) != (shape, color)])
            fill = COLORS[col]
        x, y, pad = (c % grid) * cell, (c // grid) * cell, max(2, cell // 6)
        _draw_shape(draw, kind, (x + pad, y + pad, x + cell - pad, y + cell - pad), fill)
    word = f"{color} {shape}s"
    return {
        "images": [image], "problem": f"How many {word} are there in the image?", "answer": str(count),
        "answer_type": "integer", "choices": [],
        "rationale": f"I look for {word} and count them one by one: {count} in total.",
    }


def shapes(rng: random.Random, side: int, min_count: int, max_count: int, kinds: tuple[str, ...] = SHAPES,
           colors: tuple[str, ...] = tuple(COLORS), undercount: float = 0.0) -> dict:
    """Count every shape: one shape per cell of a 4x4 grid (one Qwen-VL visual token per cell at 112 px).

    `kinds` and `colors` pick what is drawn, so a test split can hold shapes or colours never trained on (out of
    distribution). `undercount` > 0 writes a flawed teacher's demonstrations instead of gold: a crowded image
    (4 or more shapes) is labelled one short with that probability, as a weaker annotator would.
    """
    count = rng.randint(min_count, max_count)
    grid = 4
    image = Image.new("RGB", (side, side), "white")
    draw = ImageDraw.Draw(image)
    cell = side // grid
    for c in rng.sample(range(grid * grid), k=count):
        x, y, pad = (c % grid) * cell, (c // grid) * cell, max(2, cell // 6)
        _draw_shape(draw, rng.choice(kinds), (x + pad, y + pad, x + cell - pad, y + cell - pad),
                    COLORS[rng.choice(colors)])
    said = count - 1 if count >= 4 and rng.random() < undercount else count
    return {
        "images": [image], "problem": "How many shapes are there in the image?", "answer": str(said),
        "answer_type": "integer", "choices": [], "rationale": f"I count the shapes: {said}.",
    }


def _triangle(rng: random.Random, side: int) -> tuple[Image.Image, int, int, int]:
    """A triangle with angles a (left), b (right) labelled and the top one marked '?'."""
    a, b = rng.randint(25, 95), rng.randint(25, 95)
    while a + b > 150:
        a, b = rng.randint(25, 95), rng.randint(25, 95)
    ta, tb = math.radians(a), math.radians(b)
    apex_x = math.tan(tb) / (math.tan(ta) + math.tan(tb))  # base from (0,0) to (1,0)
    apex_y = apex_x * math.tan(ta)
    width = 0.7 * side / max(1.0, apex_y)  # shrink the base when the apex would leave the canvas
    ox, oy = 0.15 * side, 0.85 * side
    pts = [(ox, oy), (ox + width, oy), (ox + width * apex_x, oy - width * apex_y)]
    image = Image.new("RGB", (side, side), "white")
    draw = ImageDraw.Draw(image)
    draw.polygon(pts, outline=(0, 0, 0), width=max(1, side // 100))
    font = ImageFont.load_default(size=max(8, side // 9))
    draw.text((pts[0][0] + 2, pts[0][1] - side // 7), f"{a}°", fill=(0, 0, 200), font=font)
    draw.text((pts[1][0] - side // 5, pts[1][1] - side // 7), f"{b}°", fill=(0, 0, 200), font=font)
    draw.text((pts[2][0] - side // 30, pts[2][1] + side // 40), "?", fill=(200, 0, 0), font=font)
    return image, a, b, 180 - a - b


def angles(rng: random.Random, side: int, **_) -> dict:
    image, a, b, c = _triangle(rng, side)
    return {
        "images": [image], "problem": "In the triangle, two angles are labelled. What is the angle marked '?'?",
        "answer": f"{c}°", "answer_type": "degrees", "choices": [],
        "rationale": f"The angles of a triangle sum to 180°, so ? = 180° - {a}° - {b}° = {c}°.",
    }


def choice(rng: random.Random, side: int, **_) -> dict:
    image, a, b, c = _triangle(rng, side)
    options = {c}
    while len(options) < 4:
        options.add(max(5, c + rng.choice([-30, -20, -10, 10, 20, 30])))
    texts = [f"{x}°" for x in rng.sample(sorted(options), 4)]
    letter = "ABCD"[texts.index(f"{c}°")]
    listed = " ".join(f"({k}) {t}" for k, t in zip("ABCD", texts, strict=False))
    return {
        "images": [image], "problem": f"In the triangle, what is the angle marked '?'? Choices: {listed}",
        "answer": letter, "answer_type": "choice", "choices": texts,
        "rationale": f"The angles of a triangle sum to 180°, so ? = 180° - {a}° - {b}° = {c}°, "
                     f"which is option {letter}.",
    }


GENERATORS = {"counting": counting, "shapes": shapes, "angles": angles, "choice": choice}


def generate(task: str, n: int, seed: int, split: str, side: int = 112, min_count: int = 1, max_count: int = 5,
             **options):
    """Yield n unified-schema rows; (task, seed, split, options) fixes every pixel and answer.

    `options` go to the task (e.g. `kinds` for shapes)."""
    rng = random.Random(f"{task}/{seed}/{split}")
    for i in range(n):
        row = GENERATORS[task](rng, side, min_count=min_count, max_count=max_count, **options)
        yield {"id": f"{task}-{split}-{seed}-{i}", "source": f"synthetic_{task}", **row}
