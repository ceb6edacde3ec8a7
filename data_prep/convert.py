"""Run a source's converter over every split: decode images, check golds and ids, count every dropped row."""

from __future__ import annotations

from collections import Counter

from tqdm import tqdm

from core.errors import UserError
from core.images import decode_image
from core.schema import SchemaError
from data_prep.answers import Drop
from data_prep.reader import ImageRoots, RawSplit
from data_prep.sources import Source


class StrictError(UserError):
    """--strict: the first unusable row stops the run."""


def columns_of(rows) -> list[str]:
    if hasattr(rows, "column_names"):
        return list(rows.column_names)
    return sorted({key for row in rows[:100] for key in row})


def pick_layout(name: str, source: Source, columns: list[str], where: str) -> str:
    for layout, required in source.layouts.items():
        if all(c in columns for c in required):
            return layout
    closest = min(source.layouts.values(), key=lambda req: sum(c not in columns for c in req))
    missing = [c for c in closest if c not in columns]
    raise SchemaError(f"{where} lacks columns {missing} for source {name!r} (found {sorted(columns)}); "
                      f"is this the right source? see python -m data_prep --list")


def convert_split(name: str, source: Source, split: str, raw: RawSplit, roots: ImageRoots, limit: int | None,
                  strict: bool) -> tuple[list[dict], Counter]:
    rows = raw.rows
    n = len(rows) if limit is None else min(limit, len(rows))
    layout = pick_layout(name, source, columns_of(rows), f"{name}/{split}")
    dropped, seen, out = Counter(), set(), []
    if raw.bad_lines:
        if strict:
            raise StrictError(f"{name}/{split}: {raw.bad_lines} line(s) are not valid JSON (drop --strict to skip)")
        dropped["row is not valid JSON"] += raw.bad_lines
    for i in tqdm(range(n), desc=f"{name}/{split}", leave=False):
        row = rows[i]
        try:
            fields = source.convert(row, layout)
            row_id = str(fields.pop("id", None) or f"{name}-{split}-{i}")
            if row_id in seen:
                raise Drop("duplicate id")
            if not str(fields["problem"] or "").strip():
                raise Drop("empty question")
            if not fields["images"] or any(ref is None for ref in fields["images"]):
                raise Drop("no image")
            fields["images"] = [_decode(roots, ref, raw.base) for ref in fields["images"]]
        except Drop as reason:
            if strict:
                raise StrictError(
                    f"{name}/{split} row {i}: {reason} (fix the row, or drop --strict to skip it)") from None
            dropped[str(reason)] += 1
            continue
        seen.add(row_id)
        out.append({"id": row_id, "problem": str(fields.pop("problem")).strip(), "choices": [], "rationale": "",
                    "source": name, **fields})
    return out, dropped


def _decode(roots: ImageRoots, ref, base):
    try:
        return decode_image(roots.open(ref, base))
    except Exception:
        raise Drop("image does not decode") from None
