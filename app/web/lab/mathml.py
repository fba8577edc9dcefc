"""LaTeX → MathML on the server (``latex2mathml``), so no math JavaScript is needed."""

from __future__ import annotations

from functools import lru_cache

from latex2mathml.converter import convert


@lru_cache(maxsize=256)
def to_mathml(latex: str) -> str:
    """Block-level MathML for a LaTeX formula; cached, since formulas are constants.

    >>> to_mathml(r"\\sigma").startswith('<math xmlns="http://www.w3.org/1998/Math/MathML"')
    True
    """
    return convert(latex, display="block")
