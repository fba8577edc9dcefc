"""Which files make up a data tree, and the content hash that names its version.

Kept to hashlib and pathlib so that ``serve`` can tell whether a database is current without
importing the loader, pydantic or PyYAML.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def yaml_files(folder: Path) -> list[Path]:
    """The ``.yaml``/``.yml`` files directly in ``folder``, by name."""
    return sorted(
        (p for p in folder.glob("*") if p.suffix in (".yaml", ".yml")), key=lambda p: p.name
    )


TOP_LEVEL = ("survey.yaml", "synonyms.yaml")


def data_files(data_dir: Path) -> list[Path]:
    """Every data file of a tree: ``survey.yaml``, ``synonyms.yaml``, then dimensions, then
    papers."""
    files = [data_dir / name for name in TOP_LEVEL if (data_dir / name).exists()]
    return files + yaml_files(data_dir / "dimensions") + yaml_files(data_dir / "papers")


def content_hash(data_dir: Path, contents: dict[Path, bytes] | None = None) -> str:
    """Hash of every data file's path and bytes.

    ``contents`` (path -> bytes) saves reading the files again when the loader already has them.
    """
    digest = hashlib.sha256()
    files = contents if contents is not None else {p: p.read_bytes() for p in data_files(data_dir)}
    for path in sorted(files, key=lambda p: p.relative_to(data_dir).as_posix()):
        digest.update(path.relative_to(data_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(files[path])
        digest.update(b"\0")
    return digest.hexdigest()
