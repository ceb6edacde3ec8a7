"""Find the final answer only where the prompt told the model to put it, and unwrap gold answers.

Everything here is linear-time on untrusted text: no backtracking-prone regex over the whole completion.
"""

from __future__ import annotations

MAX_ANSWER_CHARS = 2000  # an 'answer' longer than this is not an answer; it is scored 0 without parsing

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


def last_boxed(text: str) -> str | None:
    """Content of the last \\boxed{...} (or \\fbox{...}), braces matched by counting, not by regex."""
    start = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if start < 0:
        return None
    i = text.index("{", start) + 1
    depth, begin = 1, i
    while i < len(text):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[begin:i]
        i += 1
    return None  # unbalanced: no final answer


def extract_answer(text: str) -> str | None:
    """Last <answer>...</answer>, preferring a \\boxed{} inside it; else the last \\boxed{}; else None."""
    end = text.rfind("</answer>")
    start = text.rfind("<answer>", 0, end) if end >= 0 else -1
    if start >= 0:  # rfind, not a lazy regex: a regex rescans the text once per stray opening tag
        inner = text[start + len("<answer>"): end]
        boxed = last_boxed(inner)
        return (boxed if boxed is not None else inner).strip()
    boxed = last_boxed(text)
    return boxed.strip() if boxed is not None else None


def unwrap_gold(gold: str) -> str:
    """'<answer> 145° </answer>', '\\boxed{20}', '$5$' -> the bare answer."""
    gold = str(gold).strip()
    inner = extract_answer(gold)
    if inner is not None:
        gold = inner
    return strip_dollars(gold)


def strip_dollars(s: str) -> str:
    s = s.strip()
    for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if len(s) >= len(left) + len(right) and s.startswith(left) and s.endswith(right):
            s = s[len(left): len(s) - len(right)].strip()
    return s
