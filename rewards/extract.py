"""Find the final answer only where the prompt told the model to put it, and unwrap gold answers.

Everything here is linear-time on untrusted text: no backtracking-prone regex over the whole completion.
"""

from __future__ import annotations

MAX_ANSWER_CHARS = 2000  # an 'answer' longer than this is not an answer; it is scored 0 without parsing
_MAX_BOX_GAP = 24  # '\\boxed{2}, \\boxed{3}' or '\\boxed{2} and \\boxed{3}': one answer in several boxes

def completion_text(completion) -> str:
    """TRL passes plain strings or conversational [{'role': 'assistant', 'content': ...}] lists."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion:
        content = completion[-1].get("content", "") if isinstance(completion[-1], dict) else ""
        if isinstance(content, list):  # structured blocks
            return "".join(part.get("text", "") for part in content if isinstance(part, dict))
        return content or ""
    return ""


def boxes(text: str) -> list[tuple[int, int]]:
    """(start, end) of the content of every top-level \\boxed{...} / \\fbox{...}, braces matched by counting."""
    found, i = [], 0
    while True:
        starts = [j for j in (text.find("\\boxed{", i), text.find("\\fbox{", i)) if j >= 0]
        if not starts:
            return found
        begin = text.index("{", min(starts)) + 1
        depth, j = 1, begin
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        if depth:
            return found  # unbalanced: no answer from here on
        found.append((begin, j - 1))
        i = j


def last_boxed(text: str) -> str | None:
    """Content of the last \\boxed{...} (or \\fbox{...})."""
    start = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if start < 0:
        return None
    found = boxes(text[start:])
    return text[start + found[0][0]: start + found[0][1]] if found else None


def final_boxes(text: str) -> str | None:
    """The last run of boxes, joined: '\\boxed{2}, \\boxed{3}' -> '2, 3' (one answer written in several boxes,
    NuminaMath style). Boxes further back than a short separator are earlier steps, not part of the answer."""
    found = boxes(text)
    if not found:
        return None
    run = [found[-1]]
    for prev in reversed(found[:-1]):
        gap = text[prev[1] + 1: run[0][0]]
        if len(gap) > _MAX_BOX_GAP or "\n" in gap:
            break
        run.insert(0, prev)
    return ", ".join(text[a:b].strip() for a, b in run)


def extract_answer(text: str, several: bool = False) -> str | None:
    """Last <answer>...</answer>, preferring a \\boxed{} inside it; else the last \\boxed{}; else None.
    `several`: the last run of boxes, joined (`final_boxes`), for golds written in several boxes."""
    pick = final_boxes if several else last_boxed
    end = text.rfind("</answer>")
    start = text.rfind("<answer>", 0, end) if end >= 0 else -1
    if start >= 0:  # rfind, not a lazy regex: a regex rescans the text once per stray opening tag
        inner = text[start + len("<answer>"): end]
        boxed = pick(inner)
        return (boxed if boxed is not None else inner).strip()
    boxed = pick(text)
    return boxed.strip() if boxed is not None else None


def unwrap_gold(gold: str) -> str:
    """'<answer> 145° </answer>', '\\boxed{20}', '$5$' -> the bare answer; '\\boxed{2}, \\boxed{3}' -> '2, 3'."""
    gold = str(gold).strip()
    inner = extract_answer(gold, several=True)
    if inner is not None:
        gold = inner
    return strip_dollars(gold)


def strip_dollars(s: str) -> str:
    s = s.strip()
    for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if len(s) >= len(left) + len(right) and s.startswith(left) and s.endswith(right):
            s = s[len(left): len(s) - len(right)].strip()
    return s
