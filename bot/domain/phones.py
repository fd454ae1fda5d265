"""Phone numbers as the rosters and Telegram contacts are matched on."""

from __future__ import annotations


def normalise_phone(raw: str) -> str:
    """Digits only; a leading 86 dropped from 13-digit numbers (+86 138…)."""
    digits = "".join(ch for ch in raw if "0" <= ch <= "9")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def mask_phone(raw: str) -> str:
    """A phone as reports may show it: 13812345678 → 138****5678 (short numbers: ****)."""
    digits = normalise_phone(raw)
    if len(digits) < 8:
        return "****"
    return f"{digits[:3]}****{digits[-4:]}"
