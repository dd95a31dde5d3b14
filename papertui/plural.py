"""Counts in words: `plural(1, "day")` is "1 day", `plural(2, "day")` "2 days". Every count
message of the command line and of the sync summary says it this way, never "day(s)"."""


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`count` and the noun, singular for exactly one (`many` for irregular plurals)."""
    return f"{count:,} {noun if count == 1 else many or noun + 's'}"
