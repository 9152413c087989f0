"""Answer kinds and short answers: what kind of fact a question asks for, and that fact alone.

"When were the tickets first sold?" asks for a date; the checked answer "They were first sold
in July 2016 [1]." holds it, so the short answer is "July 2016". Scripts and evaluations compare
short answers (SQuAD exact match); readers get the sentence with its citation. A short answer is
only given when the checked sentence holds exactly one candidate of the asked-for kind that the
question does not already contain, so it is as well supported as the sentence it comes from.
The question words of each language are data (index/lang/*.toml, [questions]); pure functions.
"""

from __future__ import annotations

import re

from assistant.text import (
    acronyms,
    content_words,
    expansion,
    fold,
    key_terms,
    negated,
    not_names,
    stem_match,
    weekdays,
)
from index.language import detect_language
from index.languages import all_languages, get_language, month_number, number_value

__all__ = ["TYPED_KINDS", "answer_type", "has_answer_type", "short_answer"]

# Answer kinds a sentence can be checked to hold (a weekday, a date, a count, a name of a person
# or place, what an acronym of the question stands for).
TYPED_KINDS = frozenset({"weekday", "date", "number", "person", "place", "expansion"})

# A run of capitalised words, allowing inner hyphens, digits and particles ("Su-24", "al-Hassan").
_UPPER = "A-ZÀ-ÖØ-Þ"
# A name starts a word: "Format" inside "luksFormat" is none.
_NAME_RUN_RE = re.compile(
    rf"(?<![\w’'-])[{_UPPER}][\w:’'-]*(?:\s+(?:[{_UPPER}][\w:’'-]*|[a-z]{{1,3}}-\w+))*"
)
# What a code example names: `--option`, `snake_case`, `CamelCase`, `dotted.name`, `path/file`,
# `Ctrl+S`, or anything in backticks or quotes.
_CODE_RE = re.compile(
    r"`([^`\n]{1,60})`|\"([^\"\n]{1,40})\"|“([^”\n]{1,40})”|«([^»\n]{1,40})»"
    r"|(?<![\w-])(--?[A-Za-z][\w-]*)|\b([A-Za-z]+(?:_[A-Za-z0-9]+)+)\b|\b([A-Za-z]+\+[A-Za-z0-9]+)\b"
    r"|(?<![\w-])([a-z][\w-]*(?:\.[a-z_]+)+\(?\)?)"
    # a manual page reference, "genisoimage(1)"; a path, "/etc/apt/sources.list", "~/.ssh"
    r"|\b([a-z][\w.+-]*\(\d[a-z]*\))|(?<![\w/])((?:~|\.{1,2})?/[\w.+-]+(?:/[\w.*+-]+)*)"
)
_YEAR_RE = re.compile(r"\b(?:1[5-9]|20)\d{2}\b")


def _question_language(question: str) -> str:
    return detect_language(question)


def answer_type(question: str, language: str | None = None) -> str | None:
    """The kind of answer question asks for ("expansion", "weekday", "date", "number", "place",
    "where", "person", "name", "which", "yesno", "definition", "howto"), or None."""
    lang = get_language(language or _question_language(question))
    kind = lang.question_kind(question)
    if kind is None and language is None:
        # A language misread on a short question: any language's question words will do.
        kind = next(
            (k for la in all_languages() if (k := la.question_kind(question, word_order=False))),
            None,
        )
    return kind


def _months_in(text: str) -> bool:
    return any(month_number(w) is not None for w in re.findall(r"\w+", text))


def _weekdays(text: str) -> list[str]:
    """The names of days of the week in text, in any supported language, as written."""
    return [w for w in re.findall(r"\w+", text) if fold(w) in weekdays()]


def _vague_count(text: str) -> bool:
    words = {fold(w) for w in re.findall(r"\w+", text)}
    return any(words & lang.vague_counts for lang in all_languages())


def has_answer_type(
    text: str, wanted: str | None, question: str = "", *, passage: str | None = None
) -> bool:
    """True if text holds the kind of fact wanted: a date (a year, day or month), a number the
    question does not already hold, a name (of a person, a place, a thing) the question does
    not already hold, or what an acronym of the question stands for.

    With the passage text stands in, its capitalised first word counts as a name only when the
    passage also writes it capitalised inside a sentence ("Thanks to …" opens a sentence; a
    name recurs as one)."""
    if wanted == "weekday":
        return bool(_weekdays(text))
    if wanted == "expansion":
        # "What does DKMS stand for?" is answered by what DKMS stands for; a question that
        # names no acronym ("Wofür steht das Symbol?") by anything.
        asked = acronyms(question)
        return not asked or bool(_expansions(text, asked))
    if wanted == "date":
        return bool(re.search(r"\d", text) or _months_in(text))
    if wanted == "number":
        return bool(_numbers(text, question)) or _vague_count(text)
    if wanted in {"person", "place", "name"}:
        # A person or a place is a name. Any capitalised word counts here, the first one too
        # ("Jane apologized." names her), unless the passage shows it is only a sentence opener.
        names = _names(f"- {text}", question)
        if passage is not None:
            first = re.match(r"\W*(\w+)", text)
            opener = first.group(1) if first else None
            names = [n for n in names if n != opener or _named_inside(n, passage)]
        if wanted == "person":
            names = [n for n in names if _person_like(n)]
        return bool(names or (wanted == "name" and _code_names(text, question)))
    return True


def _person_like(name: str) -> bool:
    """True when name is written as a person's name is in any language that capitalises names:
    capitalised words of letters ("Jane Doe", "Anne-Marie O'Neill", "J. R. Doe"). An acronym
    ("ANSI"), an identifier ("VT100") or a table's "V:91" names no one."""

    def word(w: str) -> bool:
        if len(w) <= 2 and w.endswith("."):
            return w[0].isupper()  # an initial
        letters = w.rstrip(".,;:!?").replace("-", "").replace("'", "").replace("’", "")
        return letters.isalpha() and w[0].isupper() and not (len(letters) > 1 and letters.isupper())

    words = name.split()
    # Particles inside a name are lower case ("Vincent van Gogh").
    return bool(words) and word(words[0]) and all(word(w) or w.isalpha() for w in words[1:])


def _expansions(text: str, asked: tuple[str, ...]) -> list[str]:
    return [e for a in asked if (e := expansion(a, text)) is not None]


def _named_inside(word: str, passage: str) -> bool:
    """True when passage writes word capitalised after a word or comma, not at a sentence start."""
    return re.search(rf"(?<=[\w,;]) {re.escape(word)}\b", passage) is not None


def _dates(text: str, question: str) -> list[str]:
    asked = key_terms(question)
    found = []
    tokens = list(re.finditer(r"\d{4}-\d{2}(?:-\d{2})?|\w+(?::\w+)?", text))
    i = 0
    while i < len(tokens):
        word = tokens[i].group()
        is_month = month_number(word) is not None
        if not (
            is_month or _YEAR_RE.fullmatch(word) or re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", word)
        ):
            i += 1
            continue
        # Grow the phrase over a day number before and a day/year after ("27 June 2016").
        start, end = i, i
        if start > 0 and re.fullmatch(r"\d{1,2}(:[ae]|st|nd|rd|th)?", tokens[start - 1].group()):
            start -= 1
        while end + 1 < len(tokens) and re.fullmatch(
            r"\d{1,4}(st|nd|rd|th)?", tokens[end + 1].group()
        ):
            end += 1
        phrase = text[tokens[start].start() : tokens[end].end()].strip(" ,.")
        terms = key_terms(f"and {phrase}")
        if not (terms.numbers <= asked.numbers and terms.months <= asked.months):
            found.append(phrase)
        i = end + 1
    return found


def _numbers(text: str, question: str) -> list[str]:
    asked = key_terms(question).numbers
    found = []
    for m in re.finditer(r"\b\d+(?:[.,]\d+)*\b|\b[^\W\d_]+\b", text):
        word = m.group()
        value = word if word[0].isdigit() else number_value(word)
        if value is None:
            continue
        after = text[m.end() : m.end() + 12]
        if (
            str(value).replace(",", "") in asked
            or re.match(r"\s*(?:[-–]\d|\d)", after)
            or "-" in text[m.start() - 1 : m.start()]
        ):
            continue  # a number of the question, part of a date or of a name like "Su-24"
        if _YEAR_RE.fullmatch(word):
            continue  # a year is a date, not a count
        following = re.match(r"\s*(?:\d{1,2}(?::[ae]|st|nd|rd|th)?\.?\s+)?([^\W\d_]+)", after)
        if word[0].isdigit() and following and month_number(following.group(1)) is not None:
            continue  # the day of a date ("29 June"), not a count
        found.append(word)
    return found


def _names(text: str, question: str) -> list[str]:
    asked = set(key_terms(question).names) | content_words(question)
    # In a language that capitalises every noun, a run of nouns ("Sensible Identitätsdaten") is
    # no name: its words the dictionary knows are dropped from the ends.
    lang = get_language(detect_language(text))
    found = []
    for m in _NAME_RUN_RE.finditer(text):
        words = m.group().split()
        while words and lang.is_common_noun(words[0].strip("'’:,.")):
            words = words[1:]
        while words and lang.is_common_noun(words[-1].strip("'’:,.")):
            words = words[:-1]
        # Sentence openers and other capitalised non-names do not start or end a name.
        while words and (fold(words[0]) in not_names() or month_number(words[0]) is not None):
            words = words[1:]
        while words and fold(words[-1]) in not_names():
            words = words[:-1]
        opener = words[0] if m.start() == 0 and words else None

        def asked_word(word: str) -> bool:
            return stem_match(fold(word).strip("'’:-"), asked)

        # "Defense Minister Jane Doe" answers "Which defense minister …?" with "Jane Doe":
        # the words the question already has are trimmed off the ends.
        while words and asked_word(words[0]):
            words = words[1:]
        while words and asked_word(words[-1]):
            words = words[:-1]
        if words == [opener] and not re.search(rf"[\d-]|.[{_UPPER}]", opener or ""):
            continue  # a lone capitalised first word is usually just the sentence opener
        if words and not any(asked_word(w) for w in words):
            found.append(" ".join(words))
    return found


def _code_names(text: str, question: str) -> list[str]:
    """Names as code examples and manuals write them: backticked, quoted, options, snake_case."""
    # Tokens with slashes too: a path the question names ("What does /etc/fstab hold?") is not
    # an answer, one that merely ends in a word of the question ("/etc/hostname") may be.
    asked = {fold(w).strip(".") for w in re.findall(r"[\w./~+-]+", question)}
    found = []
    for m in _CODE_RE.finditer(text):
        name = next(g for g in m.groups() if g)
        if not name.endswith((")", "()")):
            name = name.rstrip(".,;:")  # the sentence's own punctuation
        if fold(name) not in asked and len(name) >= 2:
            found.append(name)
    return found


def short_answer(sentence: str, question: str) -> str | None:
    """The one date, number or new name in sentence that answers question, else None; for a
    yes/no question, the question language's yes or no that the sentence implies.

    sentence is a checked answer sentence (or a quoted evidence sentence) without markers.
    """
    wanted = answer_type(question)
    if wanted == "weekday":
        candidates = _weekdays(sentence)
    elif wanted == "expansion":
        candidates = _expansions(sentence, acronyms(question))
    elif wanted == "date":
        candidates = _dates(sentence, question)
    elif wanted == "number":
        candidates = _numbers(sentence, question)
    elif wanted == "name":
        candidates = _code_names(sentence, question) or _names(sentence, question)
    elif wanted in {"person", "which", "place", "where"}:
        candidates = _names(sentence, question)
    elif wanted == "yesno":
        # The statement answers no when it negates what the question asks and the question
        # does not (or the other way round), in the question's own language.
        asked = get_language(detect_language(question))
        says_no = negated(sentence, detect_language(sentence)) != negated(question, asked.code)
        return asked.no if says_no else asked.yes
    else:
        return None
    distinct = list(dict.fromkeys(candidates))
    return distinct[0] if len(distinct) == 1 else None
