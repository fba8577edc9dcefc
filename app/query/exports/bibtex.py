"""Citation export from paper rows: BibTeX and CSL-JSON.

A *paper* here is the plain dict the query functions return (``id``, ``title``, ``authors`` as a
list, ``year``, ``venue``, ``status``, ``arxiv``, ``doi``, ``url``, ``bibkey``). Citation keys are
computed once at build time (``rafailov2023direct``) so they are stable across exports.
"""

from __future__ import annotations

import re
from typing import Any

# Venues that are journals (-> @article); everything else with a venue is a conference or
# workshop (-> @inproceedings). Preprints are @article with the arXiv eprint fields, the form
# arXiv's own "Export BibTeX citation" and Google Scholar produce.
_JOURNAL = re.compile(
    r"\b(transactions|journal|tmlr|jmlr|tacl|nature|science|letters|review|proceedings of the "
    r"national)\b",
    re.IGNORECASE,
)

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SPECIAL_RE = re.compile("|".join(re.escape(ch) for ch in _LATEX_SPECIAL))
# A word with a capital after its first letter (DPO, RLHF, DeepSeekMath, GPT-4): keep its case.
_CASED_WORD = re.compile(r"(?<![\w{])([\w-]*[A-Za-z0-9][\w-]*[A-Z][\w-]*)")


def latex_escape(text: str) -> str:
    r"""Escape the characters BibTeX/LaTeX treat specially.

    >>> latex_escape("R&D 100% {x}")
    'R\\&D 100\\% \\{x\\}'
    """
    return _SPECIAL_RE.sub(lambda m: _LATEX_SPECIAL[m.group(0)], text)


def protect_case(title: str) -> str:
    """Escape a title and brace words whose capitals must survive bibliography styles.

    >>> protect_case("KTO: Model Alignment as Prospect Theoretic Optimization")
    '{KTO}: Model Alignment as Prospect Theoretic Optimization'
    """
    return _CASED_WORD.sub(r"{\1}", latex_escape(title))


def entry_type(paper: dict[str, Any]) -> str:
    venue = paper.get("venue")
    if paper.get("status") == "published" and venue and not _JOURNAL.search(venue):
        return "inproceedings"
    return "article"


def bibtex_entry(paper: dict[str, Any]) -> str:
    """One BibTeX entry; fields in a fixed order so exports diff cleanly."""
    kind = entry_type(paper)
    fields: list[tuple[str, str]] = [
        ("title", "{" + protect_case(paper["title"]) + "}"),
        ("author", "{" + " and ".join(_bib_author(a) for a in paper["authors"]) + "}"),
        ("year", "{" + str(paper["year"]) + "}"),
    ]
    venue = paper.get("venue")
    if kind == "inproceedings":
        fields.append(("booktitle", "{" + latex_escape(venue) + "}"))
    elif paper.get("status") == "published" and venue:
        fields.append(("journal", "{" + latex_escape(venue) + "}"))
    elif paper.get("arxiv"):
        fields.append(("journal", "{arXiv preprint arXiv:" + paper["arxiv"] + "}"))
    if paper.get("arxiv"):
        fields += [("eprint", "{" + paper["arxiv"] + "}"), ("archivePrefix", "{arXiv}")]
    if paper.get("doi"):
        fields.append(("doi", "{" + latex_escape(paper["doi"]) + "}"))
    if paper.get("url"):
        fields.append(("url", "{" + url_field(paper["url"]) + "}"))
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    return f"@{kind}{{{paper['bibkey']},\n{body}\n}}\n"


def url_field(url: str) -> str:
    r"""A URL as a BibTeX field value: braces and backslashes (which would close the field or
    start a command) percent-encoded, so the URL still names the same address and the field
    cannot be broken out of. Existing ``%XX`` escapes are kept as they are.

    >>> url_field("https://example.org/x},note={\\input{/etc/passwd}}")
    'https://example.org/x%7D,note=%7B%5Cinput%7B/etc/passwd%7D%7D'
    """
    return url.replace("{", "%7B").replace("}", "%7D").replace("\\", "%5C")


def is_organisation(author: str) -> bool:
    """Group authors ("DeepSeek-AI", "Kimi Team") have no given and family name."""
    return " " not in author.strip() or author.strip().endswith((" Team", " team"))


def _bib_author(author: str) -> str:
    # Braces keep BibTeX from splitting a group name into given and family names.
    name = latex_escape(author)
    return "{" + name + "}" if is_organisation(author) else name


def bibtex(papers: list[dict[str, Any]]) -> str:
    """Several entries separated by blank lines."""
    return "\n".join(bibtex_entry(p) for p in papers)


def _name(author: str) -> dict[str, str]:
    # The data stores names in natural order; the family name is the last word, as in the
    # citation key. Particles ("van", "de") stay with the given name: rare here and harmless.
    parts = author.rsplit(" ", 1)
    if is_organisation(author):
        return {"literal": author}
    return {"family": parts[1], "given": parts[0]}


def csl_item(paper: dict[str, Any]) -> dict[str, Any]:
    """One CSL-JSON item (the format Zotero, Pandoc and citeproc read)."""
    kind = entry_type(paper)
    item: dict[str, Any] = {
        "id": paper["bibkey"],
        "type": "paper-conference"
        if kind == "inproceedings"
        else (
            "article-journal"
            if paper.get("status") == "published" and paper.get("venue")
            else "article"
        ),
        "title": paper["title"],
        "author": [_name(a) for a in paper["authors"]],
        "issued": {"date-parts": [[paper["year"]]]},
    }
    if paper.get("venue"):
        item["container-title"] = paper["venue"]
    elif paper.get("arxiv"):
        item["container-title"] = "arXiv"
        item["publisher"] = "arXiv"
    if paper.get("arxiv"):
        item["number"] = f"arXiv:{paper['arxiv']}"
    if paper.get("doi"):
        item["DOI"] = paper["doi"]
    if paper.get("url"):
        item["URL"] = paper["url"]
    return item


def csl(papers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [csl_item(p) for p in papers]
