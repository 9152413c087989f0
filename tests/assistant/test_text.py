"""assistant/text.py: names and terms of a sentence, with its language."""

import pytest

from assistant.text import acronyms, expansion, key_terms, negated, opener, spelled_alike


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


@pytest.mark.parametrize(
    ("acronym", "text", "expanded"),
    [
        # "long form (SHORT)", the common way a document defines an acronym
        ("LVM", "The Logical Volume Manager (LVM) joins disks.", "Logical Volume Manager"),
        # "SHORT (long form)", and letters inside a word ("GnuPG": GNU Privacy Guard)
        ("GnuPG", "GnuPG (GNU Privacy Guard) signs files.", "GNU Privacy Guard"),
        ("SSH", "SSH (Secure Shell) logs in remotely.", "Secure Shell"),
        # a few words between them: "stands for", "steht für", "8-bit"
        ("FWP", "FWP steht für Frobnicating Widget Protocol.", "Frobnicating Widget Protocol"),
        ("UTF", "UTF-8 (8-bit Unicode Transformation Format) is common.",
         "Unicode Transformation Format"),
        # a function word inside the expansion
        ("BoM", "The Bill of Materials (BoM) lists parts.", "Bill of Materials"),
        # no expansion: matching initials far from the acronym are a coincidence
        ("SSH", "Use SSH to log in to the server securely here.", None),
        ("ITIL", "ITIL is a framework for IT service management.", None),
        # the acronym is not in the text; a lower-case word is none
        ("LVM", "The Logical Volume Manager joins disks.", None),
        ("IT", "Install Tools it says.", None),
        # capitalised in another case: still the acronym
        ("MIDI", "Midi (Musical Instrument Digital Interface) links instruments.",
         "Musical Instrument Digital Interface"),
    ],
)  # fmt: skip
def test_an_acronym_is_expanded_only_where_the_text_defines_it(acronym, text, expanded):
    assert expansion(acronym, text) == expanded


def test_acronyms_of_a_question_as_written():
    assert acronyms("Wofür steht die Abkürzung DKMS?") == ("DKMS",)
    assert acronyms("What does UTF-8 stand for in GnuPG?") == ("UTF", "GnuPG")
    assert acronyms("What does Linux stand for?") == ()


def test_a_verb_first_question_opens_with_its_verb_not_a_name():
    assert opener("Behöver vanliga program kärnans header-filer?", "sv") is None
    assert opener("Klappt die Reparatur auch ohne Netz?", "de") is None
    assert opener("Paris hosted the talks.", "en") == "paris"


@pytest.mark.parametrize(
    ("text", "language", "negates"),
    [
        ("For directories chmod preserves the bits unless you say otherwise.", "en", False),
        ("For directories chmod does not keep the bits, unless you say so.", "en", True),
        (
            "För kataloger bevarar chmod bitarna om inte man uttryckligen anger något annat.",
            "sv",
            False,
        ),
        ("Det går inte att ändra lösenordet.", "sv", True),
        ("Der Eintrag bleibt, es sei denn, Sie löschen ihn nicht.", "de", False),
        ("Der Eintrag bleibt nicht, es sei denn, Sie sichern ihn.", "de", True),
    ],
)
def test_a_condition_is_no_negation(text, language, negates):
    # "unless" ("om inte", "es sei denn") opens a condition: the statement itself still holds.
    assert negated(text, language) is negates
