"""How search compares words and names, shared by the validator, the build and the queries.

Kept to ``re`` so the app's start-up can use it without pydantic.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+")
_KEEP_S = ("ss", "us", "is", "as")


def phrase_key(text: str) -> str:
    """A name or phrase as search compares it: lower case, words only, single spaces.

    >>> phrase_key("Dr. GRPO"), phrase_key("reward over-optimization")
    ('dr grpo', 'reward over optimization')
    """
    return " ".join(_WORD.findall(text.lower()))


def singular(word: str) -> str:
    """An English plural folded to its singular, conservatively: only plural endings, never
    other suffixes (``processing`` stays ``processing``; ``process`` stays ``process``).

    >>> [singular(w) for w in ("models", "policies", "processes", "process", "bias", "ideas")]
    ['model', 'policy', 'process', 'process', 'bias', 'idea']
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("eas"):
        return word[:-1]
    if word.endswith(_KEEP_S):
        return word
    return word[:-1] if word.endswith("s") else word


def plural(word: str) -> str | None:
    """The regular plural of a singular word, or None for short or non-alphabetic words.

    >>> [plural(w) for w in ("model", "policy", "process", "dpo")]
    ['models', 'policies', 'processes', 'dpos']
    """
    if len(word) < 3 or not word.isalpha():
        return None
    if word.endswith("y") and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"
