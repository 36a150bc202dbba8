"""ISO 8601 durations (P14D, P1Y, P6M, P2W) in Swedish words: how long and how often.

Low in the import order so that the answer engine words a revision interval in its warning
as the pages word it on the document card (wording.py re-exports these)."""

import re

DURATION = re.compile(r"\bP(\d+)([DWMY])\b")
# A calendar interval as stores give it back: P2W comes back as P14D, P18M as P1Y6M.
CALENDAR = re.compile(r"P(?!$)(?:(?P<Y>\d+)Y)?(?:(?P<M>\d+)M)?(?:(?P<W>\d+)W)?(?:(?P<D>\d+)D)?")
UNITS = {"D": ("dag", "dagar"), "W": ("vecka", "veckor"), "M": ("månad", "månader"), "Y": ("år", "år")}
EVERY = {"D": ("varje dag", "varannan dag"), "W": ("varje vecka", "varannan vecka"),
         "M": ("varje månad", "varannan månad"), "Y": ("varje år", "vartannat år")}
ORDINALS = {3: "tredje", 4: "fjärde", 5: "femte", 6: "sjätte", 7: "sjunde", 8: "åttonde", 9: "nionde", 10: "tionde",
            11: "elfte", 12: "tolfte"}
NUMBERS = {1: "en", 2: "två", 3: "tre", 4: "fyra", 5: "fem", 6: "sex", 7: "sju", 8: "åtta", 9: "nio", 10: "tio"}


def duration_words(value: str) -> str:
    """P14D -> "14 dagar", P1Y -> "ett år", P4M -> "fyra månader"; other text unchanged."""
    match = DURATION.fullmatch(value.strip()) if value else None
    if not match:
        return value
    n, unit = int(match[1]), match[2]
    one, many = UNITS[unit]
    if n == 1:
        return ("ett " if unit == "Y" else "en ") + one
    return f"{NUMBERS.get(n, n)} {many}"


def interval_words(value: str | None) -> str | None:
    """How often: P1Y -> "varje år", P2Y -> "vartannat år", P6M -> "var sjätte månad",
    P14D -> "varannan vecka", P10D -> "var tionde dag", P1Y6M -> "var 18:e månad". None for
    what is no calendar interval in one unit (P1Y2D, a time of day, text)."""
    match = CALENDAR.fullmatch(value.strip()) if value else None
    if not match:
        return None
    part = {unit: int(match[unit] or 0) for unit in "YMWD"}
    months, days = part["Y"] * 12 + part["M"], part["W"] * 7 + part["D"]
    if months and days or not months and not days:
        return None
    if months:
        n, unit = (months // 12, "Y") if months % 12 == 0 else (months, "M")
    else:
        n, unit = (days // 7, "W") if days % 7 == 0 else (days, "D")
    if n <= 2:
        return EVERY[unit][n - 1]
    suffix = ":a" if n % 10 in (1, 2) and n % 100 not in (11, 12) else ":e"
    return f"{'vart' if unit == 'Y' else 'var'} {ORDINALS.get(n, f'{n}{suffix}')} {UNITS[unit][0]}"
