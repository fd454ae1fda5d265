"""Phone numbers as the rosters and Telegram contacts are matched on."""

from __future__ import annotations


def normalise_phone(raw: str) -> str:
    """Digits only; a leading 86 dropped from 13-digit numbers (+86 138…)."""
    digits = "".join(ch for ch in raw if "0" <= ch <= "9")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits
