"""Calendar dates written in text, reduced to ISO keys so "Aug 2, 2024" and "2 August 2024" meet."""

from __future__ import annotations

import re

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        1,
    )
    for m in names
}
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})(?:-(\d{2}))?\b")
_MONTH = re.compile(r"\b(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?", re.IGNORECASE)
_DAY_BEFORE = re.compile(r"\b([0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?$")
_DAY_AFTER = re.compile(r"^\s+([0-3]?\d)(?:st|nd|rd|th)?\b")


def date_key(text: str) -> str | None:
    """ISO key of a date that names its year: YYYY-MM-DD, YYYY-MM or YYYY; None otherwise.

    >>> date_key("Aug 2, 2024"), date_key("2 August 2024"), date_key("May 2022"), date_key("this week")
    ('2024-08-02', '2024-08-02', '2022-05', None)
    >>> date_key("2024"), date_key("12, 2023")
    ('2024', None)
    """
    if iso := _ISO.search(text):
        year, month, day = iso.groups()
        return f"{year}-{month}-{day}" if day else f"{year}-{month}"
    year = _YEAR.search(text)
    if not year:
        return None
    month = _MONTH.search(text)
    if not month:  # a year alone ("2024", "in 2024"), not a fragment such as "12, 2023"
        return year.group(1) if not re.search(r"\d", text.replace(year.group(1), "")) else None
    number = _MONTHS[month.group(1).lower()]
    day_match = _DAY_AFTER.match(text[month.end() :]) or _DAY_BEFORE.search(text[: month.start()])
    day = int(day_match.group(1)) if day_match else 0
    if 1 <= day <= 31:
        return f"{year.group(1)}-{number:02d}-{day:02d}"
    return f"{year.group(1)}-{number:02d}"
