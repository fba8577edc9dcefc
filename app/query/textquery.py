"""What a person typed -> the clauses of a full-text query (see :class:`app.store.dialect.Phrase`).

Every word must match. A word matches itself, its singular and its plural (``reward`` and
``rewards``), never a stem (``processing`` does not match ``process``); the last word also
matches as a prefix, so results appear while typing. A run of words that is a phrase of a
synonym group (``data/taxonomy/synonyms.yaml``) matches any phrase of that group instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from app.contract.text import phrase_key, plural, singular
from app.store.dialect import Clause, Phrase, query_words


@dataclass(frozen=True)
class SynonymIndex:
    """Synonym groups keyed by their phrases' singular words."""

    groups: list[tuple[tuple[str, ...], ...]] = field(default_factory=list)
    by_words: dict[tuple[str, ...], int] = field(default_factory=dict)
    longest: int = 0

    @classmethod
    def of(cls, groups: Iterable[Iterable[str]]) -> SynonymIndex:
        phrases_of: list[tuple[tuple[str, ...], ...]] = []
        by_words: dict[tuple[str, ...], int] = {}
        for g, group in enumerate(groups):
            phrases = tuple(tuple(phrase_key(p).split()) for p in group if phrase_key(p))
            phrases_of.append(phrases)
            for words in phrases:
                by_words.setdefault(tuple(singular(w) for w in words), g)
        longest = max((len(k) for k in by_words), default=0)
        return cls(phrases_of, by_words, longest)


def _word_forms(word: str) -> list[str]:
    one = singular(word)
    forms = [word, one, plural(one)]
    return [f for f in dict.fromkeys(forms) if f]


def _phrase_forms(words: tuple[str, ...]) -> list[Phrase]:
    """The phrase, and the phrase with its last word singular or plural."""
    head, last = words[:-1], words[-1]
    return [Phrase((*head, form)) for form in _word_forms(last)]


def clauses_for(text: str, synonyms: SynonymIndex | None = None) -> list[Clause]:
    """The clauses of ``text`` (empty when nothing searchable is left)."""
    words = query_words(text)
    folded = [singular(w) for w in words]
    index = synonyms or SynonymIndex()
    clauses: list[Clause] = []
    i = 0
    while i < len(words):
        group = None
        for span in range(min(index.longest, len(words) - i), 0, -1):
            group = index.by_words.get(tuple(folded[i : i + span]))
            if group is not None:
                break
        if group is not None:
            phrases = [form for p in index.groups[group] for form in _phrase_forms(p)]
            clauses.append(tuple(dict.fromkeys(phrases)))
            i += span
            continue
        forms = [Phrase((form,)) for form in _word_forms(words[i])]
        if i == len(words) - 1:
            forms.insert(0, Phrase((words[i],), prefix=True))
        clauses.append(tuple(dict.fromkeys(forms)))
        i += 1
    return clauses


def name_keys(text: str, synonyms: SynonymIndex | None = None) -> str:
    """The names a paper may carry to rank first for ``text``: the whole query as a short
    name, title or alias is compared (``Dr. GRPO`` -> ``dr grpo``), and, when the whole query
    is a synonym phrase, every phrase of its group (``process reward model`` -> ``prm``).
    Returned as ``|key|key|``, the form the dialects' rank expressions look names up in."""
    key = phrase_key(text)
    keys = [key] if key else []
    index = synonyms or SynonymIndex()
    group = index.by_words.get(tuple(singular(w) for w in key.split()))
    if group is not None:
        keys += [" ".join(words) for words in index.groups[group]]
    return "|" + "|".join(dict.fromkeys(keys)) + "|" if keys else ""
