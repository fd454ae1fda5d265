"""What a roster row must satisfy to be shown and routed: credit codes, mobiles, text lengths.

Pure rules, no I/O: the importer (bot/services/importer.py) applies them to every row.
"""

from __future__ import annotations

import re

__all__ = [
    "CREDIT_CODE_ALPHABET",
    "ENTERPRISE_NAME_MAX",
    "LABEL_MAX",
    "PERSON_NAME_MAX",
    "credit_code_check",
    "is_mobile",
]

# GB 32100-2015, the Unified Social Credit Code (统一社会信用代码): 18 characters from these
# 31 (digits and capital letters without I, O, S, V, Z), the last one a check character.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(CREDIT_CODE_ALPHABET)}

# A person's name is shown in every message about their work and on buttons that pick them;
# an enterprise's name heads each request. Real names are far shorter (a company's registered
# name rarely passes 40 characters); anything longer is a pasted paragraph, not a name.
PERSON_NAME_MAX = 64
ENTERPRISE_NAME_MAX = 100
# Industry and chain labels: shown beside the enterprise's name, and offered on buttons.
LABEL_MAX = 64

_MOBILE = re.compile(r"1[0-9]{10}")


def credit_code_check(code: str) -> str | None:
    """The check character the first 17 characters of `code` call for (GB 32100-2015).

    None when those 17 are not all from the alphabet. The weights are 3^i mod 31; the check
    character's value is 31 minus the weighted sum mod 31 (31 itself written as 0).
    """
    head = code[:17]
    if len(head) != 17 or any(ch not in _VALUE for ch in head):
        return None
    total = sum(_VALUE[ch] * w for ch, w in zip(head, _CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def is_mobile(phone: str) -> bool:
    """A mainland mobile number, normalised: 11 digits starting with 1 (onboarding needs one)."""
    return _MOBILE.fullmatch(phone) is not None
