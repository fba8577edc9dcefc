"""How search compares words and names, shared by the validator, the build and the queries.

Kept to ``re`` so the app's start-up can use it without pydantic.
"""

from __future__ import annotations

import difflib
import re

_WORD = re.compile(r"\w+")
_KEEP_S = ("ss", "us", "is", "as")


def words(text: str) -> list[str]:
    """The words of ``text``, lower-cased, in order: what search indexes and matches."""
    return _WORD.findall(text.lower())


def phrase_key(text: str) -> str:
    """A name or phrase as search compares it: lower case, words only, single spaces.

    >>> phrase_key("Dr. GRPO"), phrase_key("reward over-optimization")
    ('dr grpo', 'reward over optimization')
    """
    return " ".join(words(text))


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


def did_you_mean(value: str, choices: list[str] | set[str], *, n: int = 3) -> str:
    """`` (did you mean 'a'?)`` naming the closest choices, or nothing when none is close: the
    most similar by edit similarity (and any nearly as similar), else those that share the
    value's first word (``ai-judge`` -> ``ai-feedback``).

    >>> did_you_mean("ai-judge", ["ai-feedback", "human-feedback", "self-feedback"])
    " (did you mean 'ai-feedback'?)"
    >>> did_you_mean("rafailov2023-dpos", ["rafailov2023-dpo", "azar2023-ipo"])
    " (did you mean 'rafailov2023-dpo'?)"
    """
    scored = sorted(
        ((difflib.SequenceMatcher(None, value, c).ratio(), c) for c in choices),
        key=lambda pair: (-pair[0], pair[1]),
    )
    close = [c for ratio, c in scored if ratio >= 0.6 and ratio >= scored[0][0] - 0.05][:n]
    if not close:
        head = re.split(r"[-_\s]", value, maxsplit=1)[0]
        close = sorted(c for c in choices if head and re.split(r"[-_\s]", c)[0] == head)[:n]
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"
