"""assistant/text.py: names and terms of a sentence, with its language."""

from assistant.text import key_terms, opener, spelled_alike


def test_a_german_question_names_its_acronym_not_its_nouns():
    question = "Wofür steht die Abkürzung DKMS?"
    assert key_terms(question, "de").names == {"dkms"}
    assert "abkürzung" in key_terms(question).names  # without the language: any capital


def test_a_capitalised_preposition_opening_a_question_is_no_name():
    assert opener("Since which kernel version has udev found hardware?", "en") is None


def test_identifiers_and_acronyms_are_spelled_alike_in_every_language():
    question = "Använder cryptsetup luksFormat LUKS2 eller GnuPG i Sverige?"
    assert spelled_alike(question) == {"luksformat", "luks2", "gnupg"}


def test_an_identifier_inside_a_compound_is_spelled_alike_the_rest_is_not():
    assert spelled_alike("Vilken fil ska SSH-nyckeln placeras i?") == {"ssh"}
    assert spelled_alike("Which Su-24 was it?") == {"su-24"}
