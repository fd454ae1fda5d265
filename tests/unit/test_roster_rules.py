"""Tests for the roster rules of bot.domain.roster: the credit code's check character, mobiles."""

from __future__ import annotations

import pytest

from bot.domain.roster import CREDIT_CODE_ALPHABET, credit_code_check, is_mobile


def test_the_standards_example_checks_out() -> None:
    # The worked example of GB 32100-2015.
    assert credit_code_check("91350100M000100Y43") == "3"
    assert credit_code_check("91350100M000100Y4") == "3"  # the 17 characters alone will do


def test_the_alphabet_is_the_standards_31_characters() -> None:
    assert len(CREDIT_CODE_ALPHABET) == 31
    assert not set("IOSVZ") & set(CREDIT_CODE_ALPHABET)


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91500230MA5UXR1T2"])
def test_every_single_typo_and_swap_changes_the_check(code: str) -> None:
    # The weights are distinct, non-zero and 31 is prime: one wrong character, or two
    # different neighbours swapped, always shows.
    check = credit_code_check(code)
    for i in range(17):
        for ch in CREDIT_CODE_ALPHABET:
            if ch != code[i]:
                assert credit_code_check(code[:i] + ch + code[i + 1 :]) != check
        if i < 16 and code[i] != code[i + 1]:
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            assert credit_code_check(swapped) != check


@pytest.mark.parametrize("code", ["", "9135010", "91350100I000100Y4", "91350100m000100Y4"])
def test_no_check_for_what_is_not_a_code(code: str) -> None:
    assert credit_code_check(code) is None


def test_mobiles() -> None:
    assert is_mobile("13800138000")
    assert not is_mobile("02373331234")
    assert not is_mobile("1380013800")
    assert not is_mobile("138001380001")
