"""The UPN check (``identifiers.upns_valid``, the whole-column form every load and matching use)
against the corpus's own UPN rule (tests/corpus/base.py, written from the DfE guidance without
reading our code) and against ``upn_check_letter``, which the sample generator writes with."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.corpus import base
from transforms.identifiers import UPN_CHECK_ALPHABET, upn_check_letter, upn_is_valid, upns_valid

_DIGITS = st.text(alphabet="0123456789", min_size=12, max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(_DIGITS, min_size=1, max_size=20))
def test_agrees_with_the_corpus_rule_for_every_check_letter(bodies):
    """Every one of the 23 letters in front of each body: valid exactly when the corpus says so."""
    candidates = [letter + body for body in bodies for letter in UPN_CHECK_ALPHABET]
    assert upns_valid(candidates).tolist() == [base.upn_valid(c) for c in candidates]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789", min_size=11, max_size=11), st.sampled_from("0123456789" + UPN_CHECK_ALPHABET))
def test_the_generator_letter_is_the_one_accepted(digits, last):
    """A temporary UPN ends in a letter: the check still covers it."""
    body = digits + last
    letter = upn_check_letter(body)
    assert upn_is_valid(letter + body)
    assert not any(upns_valid([other + body for other in UPN_CHECK_ALPHABET if other != letter]))


@given(st.lists(st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=20))))
def test_anything_that_is_not_a_upn_is_invalid_and_never_raises(values):
    result = upns_valid(values)
    assert len(result) == len(values)
    for value, ok in zip(values, result):
        if ok:
            assert isinstance(value, str) and len(value) == 13
