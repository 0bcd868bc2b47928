#!/usr/bin/python3
"""Golden values for dev.skein.evaluation.metrics.text.Readability (MLflow's flesch_kincaid_grade_level and
ari_grade_level per row).

Run with Debian's python3 and packages, not a pyenv or venv python:
    apt-get install -y python3-pyphen wamerican
    cd evaluation-service/src/test/resources/golden/text && /usr/bin/python3 readability_golden.py
It rewrites readability_golden.json next to it.

What MLflow 2.17.2 computes: mlflow/metrics/metric_definitions.py calls textstat.flesch_kincaid_grade(text)
and textstat.automated_readability_index(text) for each prediction. MLflow does not pin textstat; the
release a `pip install textstat` gave when MLflow 2.17.2 came out (Oct 2024) is textstat 0.7.4 (Jan 2024;
0.7.5 came in Feb 2025). 0.7.3 computes these two scores with the same code. textstat 0.7.4 counts
syllables with pyphen (Pyphen(lang="en_US"), left=2, right=2) only; 0.7.5 (Feb 2025) looks words up in
cmudict first.

What this file proves:
- Syllable counts come from pyphen itself (Debian's python3-pyphen 0.13.2), reading the very dictionary
  committed as evaluation-service/src/main/resources/dev/skein/evaluation/metrics/text/hyph_en_US.dic
  (byte for byte Debian's /usr/share/hyphen/hyph_en_US.dic, checked below). The "words" section is
  pyphen's own positions for a sample of the wamerican word list and for random letter strings.
- The Python Unicode facts the Java port depends on ("unicode" section): which code points re's \\w and
  \\s match and str.split() splits on, and str.lower() of every code point, as Python 3.11 (Unicode 14)
  has them.

What it does not prove:
- textstat is not installed here (PyPI is out of reach and Debian ships no python3-textstat), so the
  counting and the formulas below are this file's re-implementation of textstat 0.7.4's
  char_count, lexicon_count, remove_punctuation (rm_apostrophe=True, the default), syllable_count,
  sentence_count, avg_sentence_length, avg_syllables_per_word, _legacy_round, flesch_kincaid_grade and
  automated_readability_index, written from reading textstat 0.7.4's textstat/textstat.py. A misreading
  of textstat would be repeated here and in Java alike. (Checked once by hand, not here: these functions
  give textstat 0.7.4's own test expectations for its long sample text: 1748 characters, 372 words,
  17 sentences, 519 syllables, Flesch-Kincaid 9.5, ARI 11.6.)
- PyPI's pyphen of Oct 2024 (0.16/0.17) bundles its own hyph_en_US.dic. It differs from Debian's only in
  patterns that contain an apostrophe (they can never match, textstat removes apostrophes before it
  counts syllables) and in nine mis-encoded Debian patterns keyed "...ﬃs" (e.g. ".ﬂy9leafﬃs") that only
  words spelt with those ligature characters could reach. The algorithm is the same in both versions.
- MLflow's users run whatever Python they have; Unicode tables differ slightly between Python versions.
"""
import hashlib
import json
import math
import os
import random
import re
import unicodedata

import pyphen

HERE = os.path.dirname(os.path.abspath(__file__))
DIC = os.path.join(HERE, "../../../../main/resources/dev/skein/evaluation/metrics/text/hyph_en_US.dic")
DEBIAN_DIC = "/usr/share/hyphen/hyph_en_US.dic"


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


assert sha256(DIC) == sha256(DEBIAN_DIC), "the committed dictionary is not Debian's hyph_en_US.dic"
assert pyphen.__version__ == "0.13.2", pyphen.__version__
# textstat 0.7.4: Pyphen(lang="en_US") with pyphen's defaults left=2, right=2
HYPHENATOR = pyphen.Pyphen(filename=DIC, left=2, right=2)


# ---- textstat 0.7.4's arithmetic, restated (default settings: en_US, rounding on, rm_apostrophe on) ----

def legacy_round(number, points=0):
    p = 10 ** points
    return float(math.floor((number * p) + math.copysign(0.5, number))) / p


def strip_punctuation(text):
    return re.sub(r"[^\w\s]", "", text)


def count_chars(text):
    return len(re.sub(r"\s", "", text))


def count_words(text):
    return len(strip_punctuation(text).split())


def count_syllables(text):
    cleaned = strip_punctuation(text.lower())
    if not cleaned:
        return 0
    return sum(len(HYPHENATOR.positions(w)) + 1 for w in cleaned.split())


def count_sentences(text):
    pieces = re.findall(r"\b[^.!?]+[.!?]*", text, re.UNICODE)
    short = sum(1 for piece in pieces if count_words(piece) <= 2)
    return max(1, len(pieces) - short)


def flesch_kincaid_grade(text):
    words = count_words(text)
    sentence_length = legacy_round(float(words / count_sentences(text)), 1)
    try:
        syllables_per_word = legacy_round(float(count_syllables(text)) / float(words), 1)
    except ZeroDivisionError:
        syllables_per_word = 0.0
    grade = float(0.39 * sentence_length) + float(11.8 * syllables_per_word) - 15.59
    return legacy_round(grade, 1)


def automated_readability_index(text):
    chars = count_chars(text)
    words = count_words(text)
    sentences = count_sentences(text)
    try:
        a = float(chars) / float(words)
        b = float(words) / float(sentences)
        return legacy_round((4.71 * legacy_round(a, 2)) + (0.5 * legacy_round(b, 2)) - 21.43, 1)
    except ZeroDivisionError:
        return 0.0


LONG = (
    "The committee reviewed the proposal in considerable detail. Several members expressed concern "
    "about the projected costs, which had increased substantially since the preliminary estimate was "
    "published. Nevertheless, the chairperson argued that the infrastructure improvements were "
    "indispensable, particularly for the municipality's long-term environmental sustainability! "
    "After deliberation, the committee voted to approve the revised budget, contingent upon an "
    "independent audit. Would the council accept these conditions? Nobody could say for certain."
)

TEXTS = [
    ("empty", ""),
    ("single space", " "),
    ("whitespace only", " \t\n\r\n  \f\v "),
    ("one word", "Hello"),
    ("one long word", "Incomprehensibilities"),
    ("one word with period", "Extraordinary."),
    ("two words", "Good morning"),
    ("three words no punctuation", "the cat sat"),
    ("no sentence punctuation", "this is a sentence without any terminal punctuation at all and it goes on"),
    ("simple sentence", "The quick brown fox jumps over the lazy dog."),
    ("two sentences", "I like apples. She prefers bananas and oranges."),
    ("short sentences ignored", "Yes. No. Maybe so. The weather today is quite pleasant indeed."),
    ("abbreviations", "Dr. Smith met Mr. Jones at 5 p.m. on Jan. 3rd in the U.S. capital."),
    ("numbers", "In 2023 the company earned 4,500,000 dollars, up 12.5 percent from 2022."),
    ("decimal only", "3.14159 2.71828 1.41421"),
    ("hyphenated words", "The well-known state-of-the-art solution is a long-term, cost-effective one."),
    ("spaced dashes", "He paused - then continued - and finally stopped -- abruptly."),
    ("apostrophes", "It's the teacher's book; they're sure we'll find it, isn't it? Don't worry."),
    ("curly apostrophes", "It\u2019s the children\u2019s playground, and they\u2019ve loved it."),
    ("quotes", "\"Run!\" she shouted. 'Where?' he asked, confused."),
    ("accents", "The caf\u00e9 served cr\u00e8me br\u00fbl\u00e9e to the na\u00efve fianc\u00e9 at the soir\u00e9e."),
    ("decomposed accents", "The cafe\u0301 served cre\u0300me bru\u0302le\u0301e to a nai\u0308ve guest."),
    ("german", "Die Stra\u00dfe ist sehr sch\u00f6n und gr\u00fcn. \u00dcberall bl\u00fchen Blumen im Fr\u00fchling."),
    ("greek", "\u0397 \u03b3\u03bb\u03ce\u03c3\u03c3\u03b1 \u03b5\u03af\u03bd\u03b1\u03b9 \u03cc\u03bc\u03bf\u03c1\u03c6\u03b7. \u039f\u0394\u039f\u03a3 \u039a\u0391\u0399 \u03a3\u039f\u03a6\u0399\u0391\u03a3."),
    ("cyrillic", "\u041c\u043e\u0441\u043a\u0432\u0430 \u2014 \u0441\u0442\u043e\u043b\u0438\u0446\u0430 \u0420\u043e\u0441\u0441\u0438\u0438. \u042d\u0442\u043e \u043e\u0447\u0435\u043d\u044c \u0431\u043e\u043b\u044c\u0448\u043e\u0439 \u0433\u043e\u0440\u043e\u0434."),
    ("cjk", "\u6211\u7231\u5317\u4eac\u5929\u5b89\u95e8\u3002\u5929\u5b89\u95e8\u4e0a\u592a\u9633\u5347\u3002"),
    ("emoji and symbols", "Great job \U0001F600 \U0001F44D!!! Price: $5 & 10% off @store #deal."),
    ("supplementary letters", "The \U0001D400\U0001D401\U0001D402 letters and \U00010400\U00010428 Deseret words."),
    ("dotted capital I", "\u0130stanbul is a big city. \u0130zmir is smaller."),
    ("ligatures", "The \ufb01nal e\ufb00ort was of\ufb01cial and \ufb02uent."),
    ("superscripts and roman numerals", "E equals mc\u00b2 in chapter \u2166 of volume \u2460."),
    ("underscore identifiers", "Call get_user_name or __init__ then snake_case_variable_name."),
    ("multiple newlines", "First paragraph here.\n\n\nSecond paragraph follows after blank lines.\n\n"),
    ("newlines no punctuation", "line one has words\nline two has more words\nline three ends"),
    ("ellipses", "Well... I suppose... we could try it again... or not."),
    ("unicode ellipsis", "Wait\u2026 what happened here\u2026 nobody knows."),
    ("question exclamation runs", "Really?!?! You did that?!! Unbelievable!!! How could anyone do it??"),
    ("leading punctuation", "...and then it ended. !?Strange start for a sentence, isn't it?"),
    ("only punctuation", "?!... --- !!!"),
    ("tabs and nbsp", "Words\tseparated\u00a0by\u2003odd\u3000spaces are still words here."),
    ("zero width space", "zero\u200bwidth\u200bjoined words look like one."),
    ("uppercase shouting", "THIS IS AN EXTRAORDINARILY IMPORTANT ANNOUNCEMENT FOR EVERYBODY."),
    ("url and email", "Visit https://example.com/path?x=1 or mail someone@example.org today."),
    ("long paragraph", LONG),
    ("very long paragraph", (LONG + " ") * 6),
    ("negative grade", "Go. Go now. I am. He is."),
    ("monosyllables", "The cat and the dog ran to the big red barn in the sun."),
    ("polysyllables", "Internationalization necessitates interdisciplinary collaboration."),
    ("list like", "1. Apples\n2. Oranges\n3. Bananas and other tropical fruits"),
    ("code like", "for (int i = 0; i < n; i++) { sum += values[i]; } return sum;"),
]


def python_unicode_facts():
    word_ranges, start = [], None
    for cp in range(0x110000 + 1):
        is_word = cp < 0x110000 and re.match(r"\w", chr(cp)) is not None
        if is_word and start is None:
            start = cp
        elif not is_word and start is not None:
            word_ranges.append([start, cp - 1])
            start = None
    spaces = [cp for cp in range(0x110000) if re.match(r"\s", chr(cp))]
    assert spaces == [cp for cp in range(0x110000) if chr(cp).isspace()]
    lower = [[cp, [ord(c) for c in chr(cp).lower()]] for cp in range(0x110000) if chr(cp).lower() != chr(cp)]
    return {
        "unicodedata_version": unicodedata.unidata_version,
        "word_ranges": word_ranges,
        "spaces": spaces,
        "lower": lower,
    }


def word_positions():
    with open("/usr/share/dict/american-english", encoding="utf-8") as f:
        dictionary = [w.strip() for w in f if w.strip()]
    sample = dictionary[::25]
    rng = random.Random(20241031)
    letters = "abcdefghijklmnopqrstuvwxyz\u00e9\ufb01"
    sample += ["".join(rng.choice(letters) for _ in range(rng.randint(1, 16))) for _ in range(1500)]
    out = []
    for w in sample:
        lowered = strip_punctuation(w.lower())
        for token in lowered.split():
            out.append([token, list(HYPHENATOR.positions(token))])
    return out


def main():
    cases = []
    for name, text in TEXTS:
        cases.append({
            "name": name,
            "text": text,
            "chars": count_chars(text),
            "words": count_words(text),
            "sentences": count_sentences(text),
            "syllables": count_syllables(text),
            "flesch_kincaid_grade": flesch_kincaid_grade(text),
            "automated_readability_index": automated_readability_index(text),
        })
    out = {
        "generator": "readability_golden.py (textstat 0.7.4 restated; Debian python3-pyphen %s)" % pyphen.__version__,
        "dictionary_sha256": sha256(DIC),
        "cases": cases,
        "words": word_positions(),
        "unicode": python_unicode_facts(),
    }
    with open(os.path.join(HERE, "readability_golden.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=True, separators=(",", ":"))
        f.write("\n")
    print("%d cases, %d words" % (len(cases), len(out["words"])))


if __name__ == "__main__":
    main()
