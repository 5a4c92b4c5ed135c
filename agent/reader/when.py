# ruff: noqa: E501  (regex tables read better one alternative per line than split mid-pattern)
"""Time phrases -> ``not_before`` (README §1): the earliest matching moment strictly after ``now``, UTC.

>>> from datetime import UTC, datetime
>>> now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
>>> parse_when("tonight", now).isoformat()
'2026-11-27T22:00:00+00:00'
>>> parse_when("at 09:30", now).isoformat()
'2026-11-28T09:30:00+00:00'
>>> parse_when("on saturday", now).isoformat()
'2026-11-28T00:00:00+00:00'
>>> parse_when("in two hours", now).isoformat()
'2026-11-27T12:00:00+00:00'
>>> parse_when("tomorrow morning", now).isoformat()
'2026-11-28T06:00:00+00:00'
>>> parse_when("2026-12-01T01:00:00Z", now).isoformat()
'2026-12-01T01:00:00+00:00'
>>> parse_when("now", now) is None
True
>>> parse_when("on the 5th", now).isoformat(), parse_when("tomorrow evening at 9", now).isoformat()
('2026-12-05T00:00:00+00:00', '2026-11-28T21:00:00+00:00')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from agent.reader.numbers import NUMBER, to_int

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY = (  # not "the mon box": a weekday name is never a host word
    r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday)?(?![\w-])"
    r"(?!\s+(?:box|boxes|hosts?|servers?|machines?|nodes?|vms?|instances?)\b)\.?"
)
_CLOCK = r"(?:(?:at\s+|@\s*)?(?:\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?|\d{1,2}\s*[ap]\.?m\.?|noon|midnight)|at\s+\d{1,2}\b(?!\s*(?:%|hosts?|servers?|at a time)))"
_ISO = r"\d{4}-\d{2}-\d{2}[tT ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[zZ]|[+-]\d{2}:?\d{2})?"

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DAYNUM = r"(?:[0-2]?\d|3[01])(?:st|nd|rd|th)?"
_MONTH_DATE = rf"(?:{_MONTH}\s+{_DAYNUM}(?![\d:])|{_DAYNUM}\s+(?:of\s+)?{_MONTH})(?:,?\s+\d{{4}})?"
# A span, not a moment ("some time next week"): found, so it is never dropped, and asked about (parse_when).
_VAGUE = (
    r"(?:some\s*time|at some point|sometime)(?:\s+(?:next|this|later this)\s+(?:week|month)|"
    r"(?!\s+(?:tomorrow|tonight|today|on|at|this|next|mon|tue|wed|thu|fri|sat|sun)))|"
    r"(?:next|later this|this|in a)\s+(?:week|month)|whenever(?:\s+you\s+can)?"
)
_PATTERNS = [
    _ISO,
    rf"(?:on\s+)?\d{{4}}-\d{{2}}-\d{{2}}(?:\s*,?\s*{_CLOCK})?",
    rf"(?:on\s+)?(?:the\s+)?{_MONTH_DATE}(?:\s*,?\s*{_CLOCK})?",
    rf"{_CLOCK}\s+on\s+(?:the\s+)?{_MONTH_DATE}",
    rf"(?:on\s+)?the\s+(?:[0-2]?\d|3[01])(?:st|nd|rd|th)\b(?!\s+(?:of\s+)?{_MONTH})(?:\s*,?\s*{_CLOCK})?",
    r"at\s+(?:[01]\d|2[0-3])[0-5]\d\b(?!\s*-)",
    rf"(?:on\s+)?\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?(?![\w/-])(?:\s*,?\s*{_CLOCK})?",  # ambiguous: asked about
    rf"(?:on\s+|this\s+|next\s+|coming\s+)?{_DAY}(?:\s+(?:night|evening|morning))?(?:\s*,?\s*{_CLOCK})?",
    rf"{_CLOCK}\s+(?:on\s+|this\s+|next\s+)?{_DAY}",
    rf"(?:tomorrow|tmrw|tmr|tomorow|2moro)(?:\s+(?:morning|night|evening|afternoon|first thing))?(?:\s*,?\s*{_CLOCK})?",
    r"first thing(?:\s+(?:tomorrow|in the morning))?",
    rf"(?:this\s+|the\s+|over the\s+|on the\s+)?weekend(?:\s*,?\s*{_CLOCK})?",
    rf"{_CLOCK}\s+(?:tomorrow|tmrw|tmr|tomorow|2moro)",
    rf"(?:tonight|this evening|later tonight)(?:\s*,?\s*{_CLOCK})?",
    rf"{_CLOCK}\s+tonight",
    rf"in\s+(?:{NUMBER}|an?)\s*(?:hours?|hrs?|h)\s+and\s+a\s+half",
    rf"in\s+(?:{NUMBER}|half an?|an?)\s*(?:hours?|hrs?|h|minutes?|mins?|m)\b",
    r"in\s+half an hour",
    _CLOCK,
    r"right now|right away|immediately|asap|straight away|\bnow\b",
    _VAGUE,
]
# Not inside a host range or name: "web-[01:03]" holds no clock.
WHEN = re.compile(r"(?<![\[:/-])\b(?:" + "|".join(f"(?:{p})" for p in _PATTERNS) + r")(?![\]:])", re.IGNORECASE)
_NOW_WORDS = re.compile(r"^(?:right now|right away|immediately|asap|straight away|now)$", re.IGNORECASE)


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    phrase: str


_CORRECTION = re.compile(r"\b(?:no|nope|sorry|actually|rather|instead|make it|i mean|correction|wait)\b", re.IGNORECASE)


_WAIT = re.compile(
    r"\b(?:wait|hold(?:\s+off)?|not|don'?t\s+(?:start|begin|run|go)|delay\w*|postpone\w*|defer\w*|pause)"
    r"(?:\s+\w+){0,2}?\s+(?:until|till|til)\s*$|\bnot\s+(?:before|until|till)\s*$",
    re.IGNORECASE,
)
_DEADLINE = re.compile(r"\b(?:before|by|until|till|no later than|latest by)\s*$", re.IGNORECASE)


def find_when(text: str) -> Found | None:
    """The time phrase in ``text``: the first, or a later one that corrects it ("at 22:00, no, 23:30").

    >>> find_when("Patch mon-01 at 21:15, one at a time.").phrase
    'at 21:15'
    >>> find_when("patch web-prod-01 through 03") is None
    True
    >>> find_when("patch ci-01 at 22:00 - no, 23:30").phrase
    '23:30'
    >>> find_when("finish by 06:00") is None, find_when("actually, wait until 23:30").phrase
    (True, '23:30')
    """
    found = _start_phrases(text)
    return None if found is None else Found(found[0].start(), found[0].end(), found[0].group(0).strip())


def times_in_conflict(text: str) -> tuple[str, str] | None:
    """Two start times in one message that do not correct each other ("staging now and prod tonight"): one job
    has one start, so the reader asks instead of picking one.

    >>> times_in_conflict("patch staging now and prod tonight")
    ('now', 'tonight')
    >>> times_in_conflict("patch ci-01 at 22:00 - no, 23:30") is None
    True
    """
    found = _start_phrases(text)
    return None if found is None else found[1]


def _start_phrases(text: str) -> tuple[re.Match[str], tuple[str, str] | None] | None:
    """The start-time phrase in force (the first, or a later one that corrects it) and the first pair of
    phrases that do not correct each other, or None when ``text`` gives no start time."""
    # "before friday", "by 06:00" are deadlines, not a start time: not read as not_before.
    # "wait until 23:30", "hold off till monday", "not until 02:00": the start, not a deadline.
    found = [
        m for m in WHEN.finditer(text) if not _DEADLINE.search(text[: m.start()]) or _WAIT.search(text[: m.start()])
    ]
    if not found:
        return None
    m, conflict = found[0], None
    for later in found[1:]:
        if _CORRECTION.search(text[m.end() : later.start()]):
            m = later
        elif conflict is None and later.group(0).strip().lower() != m.group(0).strip().lower():
            conflict = (m.group(0).strip(), later.group(0).strip())
    return m, conflict


def _clock(text: str) -> time | None:
    t = text.lower()
    if "noon" in t:
        return time(12, 0)
    if "midnight" in t:
        return time(0, 0)
    m = re.search(r"(\d{1,2})(?::(\d{2}))?\s*([ap])?\.?m?\.?", t.replace("at ", " ").replace("@", " "))
    if not m:
        return None
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if m.group(3) == "p" and hour < 12:
        hour += 12
    elif m.group(3) == "a" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise ValueError(f"{text!r} is not a time of day")
    return time(hour, minute)


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _month_date(text: str, now: datetime) -> tuple[date, str] | None:
    """'dec 1st', '1 december', 'december 1, 2026' -> the date (the next one after now without a year), and
    the text left for the clock."""
    m = re.search(
        rf"({_MONTH})\s+({_DAYNUM})(?![\d:])(?:,?\s+(\d{{4}}))?|({_DAYNUM})\s+(?:of\s+)?({_MONTH})(?:,?\s+(\d{{4}}))?",
        text,
    )
    if m is None:
        return None
    month_word, day_word, year = (m[1], m[2], m[3]) if m[1] else (m[5], m[4], m[6])
    month = _MONTHS.index(month_word[:3]) + 1
    day_n = int(re.sub(r"\D", "", day_word))
    rest = text[: m.start()] + " " + text[m.end() :]
    try:
        if year:
            return date(int(year), month, day_n), rest
        candidate = date(now.year, month, day_n)
        if datetime.combine(candidate, time(23, 59), tzinfo=UTC) < now:
            candidate = date(now.year + 1, month, day_n)
        return candidate, rest
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a date") from exc


def _next_day_of_month(now: datetime, day_n: int, at: time | None) -> datetime:
    """The first moment strictly after ``now`` on day ``day_n`` of a month, at ``at`` (00:00 when not given)."""
    year, month = now.year, now.month
    for _ in range(13):
        try:
            cand = datetime.combine(date(year, month, day_n), at or time(0, 0), tzinfo=UTC)
        except ValueError:
            cand = None
        if cand is not None and cand > now:
            return cand
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise ValueError(f"day {day_n} is not a day of the month")


def _next_at(now: datetime, day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=UTC)


def parse_when(phrase: str, now: datetime) -> datetime | None:
    """A time phrase (or an ISO-8601 timestamp) -> an aware UTC datetime; None = start now.

    Raises ValueError when the phrase is not a time this reader knows.
    """
    text = " ".join(phrase.strip().lower().split())
    if re.fullmatch(_VAGUE, text):
        raise ValueError(f"{phrase!r} is not a start time I can schedule; give a day and time (e.g. 'monday 02:00')")
    text = re.sub(r"\b(?:tmrw|tmr|tomorow|2moro)\b", "tomorrow", text)
    text = text.replace("first thing", "morning").replace("weekend", "saturday")
    if text == "morning" or text == "morning in the morning":
        text = "tomorrow morning"
    now = now.astimezone(UTC)
    if not text or _NOW_WORDS.match(text):
        return None
    if re.fullmatch(_ISO, text, re.IGNORECASE):
        dt = datetime.fromisoformat(text.upper().replace("Z", "+00:00").replace(" ", "T"))
        return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)
    rel = re.search(rf"in\s+({NUMBER}|half an?|an?)\s*(hours?|hrs?|h|minutes?|mins?|m)\b", text)
    if rel or "half an hour" in text:
        if rel is None or rel.group(1).startswith("half"):
            return now + timedelta(minutes=30)
        n = to_int(rel.group(1))
        unit = rel.group(2)
        half = timedelta(minutes=30) if unit.startswith("h") and re.search(r"\band a half\b", text) else timedelta(0)
        return now + (timedelta(hours=n) if unit.startswith("h") else timedelta(minutes=n)) + half
    if re.search(r"\d{1,2}/\d{1,2}", text):
        raise ValueError(f"{phrase!r} could be day/month or month/day; write the date as YYYY-MM-DD (e.g. 2026-12-01)")
    if m := re.fullmatch(r"at\s+([01]\d|2[0-3])([0-5]\d)", text):  # "at 0300"
        text = f"at {m[1]}:{m[2]}"
    full = re.search(r"(\d{4})-(\d{2})-(\d{2})", text)
    if full:
        clock = _clock(re.sub(r"\d{4}-\d{2}-\d{2}", " ", text))
        return _next_at(now, date(int(full[1]), int(full[2]), int(full[3])), clock or time(0, 0))
    if named := _month_date(text, now):
        day, rest = named
        return _next_at(now, day, _clock(rest) or time(0, 0))
    if ordinal := re.search(r"\bthe\s+(\d{1,2})(?:st|nd|rd|th)\b", text):  # "on the 5th": the next 5th
        return _next_day_of_month(now, int(ordinal[1]), _clock(text[: ordinal.start()] + text[ordinal.end() :]))
    clock = _clock(text)
    if (
        clock is not None
        and 6 <= clock.hour < 12
        and re.search(r"night|evening", text)
        and not re.search(r"\d\s*a\.?m\b", text)
    ):
        clock = clock.replace(hour=clock.hour + 12)  # "tomorrow evening at 9", "tonight at 10": pm
    if "tomorrow" in text:
        day = now.date() + timedelta(days=1)
        if clock is None:
            clock = time(6, 0) if "morning" in text else time(22, 0) if ("night" in text or "evening" in text) else None
            if clock is None:
                clock = time(14, 0) if "afternoon" in text else time(0, 0)
        return _next_at(now, day, clock)
    for i, name in enumerate(WEEKDAYS):
        if re.search(rf"\b{name[:3]}[a-z]*\b", text):
            if clock is None:
                clock = (
                    time(6, 0) if "morning" in text else time(22, 0) if re.search("night|evening", text) else time(0, 0)
                )
            ahead = (i - now.weekday()) % 7
            cand = _next_at(now, now.date() + timedelta(days=ahead), clock)
            return cand if cand > now else cand + timedelta(days=7)
    if "tonight" in text or "evening" in text:
        if clock is not None:
            cand = _next_at(now, now.date(), clock)
            return cand if cand > now else cand + timedelta(days=1)
        cand = _next_at(now, now.date(), time(22, 0))
        return cand if cand > now else None
    if clock is not None:
        cand = _next_at(now, now.date(), clock)
        return cand if cand > now else cand + timedelta(days=1)
    raise ValueError(f"cannot read {phrase!r} as a time; say e.g. 'tonight', 'at 02:00' or '2026-12-01 at 01:00'")
