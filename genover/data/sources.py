"""Dataset specs (``keel:<name>``, ``sklearn:<name>``, ``synthetic:<opts>``, ``file:<path>``).

:func:`load_dataset` dispatches on the scheme through a registry of loader functions.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import datasets as skdatasets

from genover.data.dataset import Dataset
from genover.data.frame import check_categorical, dataset_from_frame
from genover.data.keel import read_keel, resolve_keel_name

SKLEARN_DATASETS = {
    "breast_cancer": skdatasets.load_breast_cancer,
    "wine": skdatasets.load_wine,
    "iris": skdatasets.load_iris,
    "digits": skdatasets.load_digits,
}
_SYNTHETIC_KEYS = {"n": int, "d": int, "ir": float, "c": int, "sep": float}
_TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq")
_TOKEN = re.compile(r"^([a-z]+)=?([0-9.]+)$")


def load_dataset(
    spec: str,
    *,
    target: str | None = None,
    categorical: Sequence[str] | None = None,
    impute: str | None = None,
    seed: int = 0,
) -> Dataset:
    """Load a dataset from its spec string.

    ``target`` names the label column of a ``file:`` spec; ``categorical`` declares extra
    categorical columns; ``impute`` allows missing values (imputed per training fold);
    ``seed`` seeds ``synthetic:`` data.
    """
    if not isinstance(spec, str) or ":" not in spec:
        raise ValueError(
            f"dataset spec {spec!r} has no scheme; use one of "
            f"{', '.join(s + ':<...>' for s in LOADERS)} (e.g. keel:yeast4)."
        )
    scheme, _, rest = spec.partition(":")
    loader = LOADERS.get(scheme)
    if loader is None:
        raise ValueError(
            f"unknown dataset scheme {scheme!r} in {spec!r}; use one of {', '.join(LOADERS)}."
        )
    if not rest:
        raise ValueError(f"dataset spec {spec!r} names no dataset after '{scheme}:'.")
    options = {"target": target, "categorical": categorical, "impute": impute, "seed": seed}
    return loader(rest, **options)


def _load_keel(name: str, *, impute, categorical, **_) -> Dataset:
    dataset = read_keel(resolve_keel_name(name), impute=impute, name=f"keel:{name}")
    if categorical:
        raise ValueError("KEEL files declare their own column types; drop categorical=.")
    return dataset


def _load_sklearn(rest: str, *, impute, **_) -> Dataset:
    name, _, minority = rest.partition(":")
    loader = SKLEARN_DATASETS.get(name)
    if loader is None:
        raise ValueError(
            f"unknown sklearn dataset {name!r}; use one of {', '.join(SKLEARN_DATASETS)} "
            "(digits takes a minority digit: sklearn:digits:3)."
        )
    bunch = loader()
    labels = np.asarray(bunch.target_names)[bunch.target].astype(str)
    if minority:
        if minority not in set(labels):
            raise ValueError(
                f"sklearn:{name} has no class {minority!r}; classes: "
                f"{', '.join(sorted(str(c) for c in set(labels)))}."
            )
        labels = np.where(labels == minority, minority, f"not_{minority}")
    frame = pd.DataFrame(bunch.data, columns=[str(c) for c in bunch.feature_names])
    frame["target"] = labels
    return dataset_from_frame(
        frame, "target", name=f"sklearn:{rest}", impute=impute, source={"kind": "sklearn"}
    )


def parse_synthetic(rest: str) -> dict:
    """``n2000:d10:ir50:c2:sep1.0`` (or ``n=2000,...`` when quoted; ``default``) as options."""
    options = {"n": 1000, "d": 10, "ir": 20.0, "c": 2, "sep": 1.0}
    tokens = [] if rest == "default" else re.split(r"[:,]", rest)
    for token in filter(None, tokens):
        match = _TOKEN.match(token.strip())
        if not match or match.group(1) not in _SYNTHETIC_KEYS:
            raise ValueError(
                f"bad synthetic option {token!r}; use tokens like n2000:d10:ir50:c2:sep1.0 "
                "(rows, features, imbalance ratio, classes, class separation)."
            )
        key = match.group(1)
        try:
            options[key] = _SYNTHETIC_KEYS[key](match.group(2))
        except ValueError:
            raise ValueError(
                f"synthetic:{rest}: {token!r} needs a whole number (e.g. {key}10)."
            ) from None
    if options["c"] < 2 or options["ir"] < 1 or options["n"] < 10 or options["d"] < 2:
        raise ValueError(f"synthetic:{rest} needs c>=2, ir>=1, n>=10 and d>=2.")
    clusters = 1 if options["c"] > 2 else 2
    if options["c"] * clusters > 2 ** _informative(options["d"]):
        least = next(d for d in range(2, 200) if options["c"] * clusters <= 2 ** _informative(d))
        raise ValueError(
            f"synthetic:{rest}: {options['c']} classes need at least {least} features "
            f"(d{least}), since half the features carry the class; raise d or lower c."
        )
    return options


def _informative(d: int) -> int:
    """How many of ``d`` synthetic features carry the class."""
    return max(2, d // 2)


def _load_synthetic(rest: str, *, seed, impute, **_) -> Dataset:
    from sklearn.datasets import make_classification

    opts = parse_synthetic(rest)
    weights = np.geomspace(1.0, 1.0 / opts["ir"], opts["c"])
    X, y = make_classification(
        n_samples=opts["n"],
        n_features=opts["d"],
        n_informative=_informative(opts["d"]),
        n_redundant=min(2, opts["d"] // 4),
        n_classes=opts["c"],
        n_clusters_per_class=1 if opts["c"] > 2 else 2,
        weights=list(weights / weights.sum()),
        class_sep=opts["sep"],
        flip_y=0.0,
        random_state=seed,
    )
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    frame["target"] = [f"class{k}" for k in y]
    return dataset_from_frame(
        frame, "target", name=f"synthetic:{rest}", impute=impute, source={"kind": "synthetic"}
    )


def read_table(path: str | Path, text_columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a CSV/TSV or Parquet file chosen by its extension.

    ``text_columns`` (declared categorical) are read from CSV as text, so that codes such as
    ZIP ``00501`` keep their leading zeros. Duplicate column names are an error.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        found = sorted(p.name for p in path.iterdir() if p.suffix.lower() in _TABLE_SUFFIXES)
        listed = f" It holds {', '.join(found[:5])}." if found else ""
        raise ValueError(
            f"data file {str(path)!r} is a directory; give a .csv, .tsv or .parquet file after "
            f"file: (e.g. file:{path / (found[0] if found else 'data.csv')}).{listed}"
        )
    if not path.is_file():
        raise ValueError(f"data file {str(path)!r} does not exist; check the path after file:.")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        _reject_duplicate_columns(pq.read_schema(path).names, path)
        return pd.read_parquet(path)
    if suffix not in (".csv", ".tsv", ".txt"):
        raise ValueError(f"unsupported file type {suffix!r}; use .csv, .tsv or .parquet.")
    if path.stat().st_size == 0:
        raise ValueError(f"data file {str(path)!r} is empty; it needs a header and rows.")
    sep = "\t" if suffix == ".tsv" else ","
    try:
        header = pd.read_csv(path, sep=sep, header=None, nrows=1, dtype=str).iloc[0]
        _reject_duplicate_columns([str(c) for c in header.tolist()], path)
        text = {c: str for c in (text_columns or []) if c in set(header)}
        return pd.read_csv(path, sep=sep, dtype=text or None, keep_default_na=True)
    except pd.errors.EmptyDataError as err:
        raise ValueError(f"data file {str(path)!r} is empty; it needs a header and rows.") from err
    except UnicodeDecodeError as err:
        raise ValueError(
            f"data file {str(path)!r} is not UTF-8 text (byte {err.object[err.start]:#x} at "
            f"position {err.start}); save it as UTF-8, e.g. iconv -f latin1 -t utf-8 "
            f"{path.name} > {path.stem}_utf8{path.suffix}."
        ) from err


def _reject_duplicate_columns(names: Sequence[str], path: Path) -> None:
    seen, duplicates = set(), []
    for name in names:
        if name in seen and name not in duplicates:
            duplicates.append(name)
        seen.add(name)
    if duplicates:
        raise ValueError(
            f"data file {str(path)!r} has duplicate column names {duplicates}; give every "
            "column a unique name in the header."
        )


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in blocks (the manifest's and resume's input hash)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_fingerprint(spec: str) -> dict | None:
    """What identifies the data behind ``spec`` beyond the spec itself: size, mtime and
    SHA-256 of a ``file:`` or ``keel:`` file; None for data the config alone determines."""
    scheme, _, rest = str(spec).partition(":")
    if scheme == "file":
        path = Path(rest).expanduser().resolve()
    elif scheme == "keel":
        path = resolve_keel_name(rest)
    else:
        return None
    if not path.is_file():
        return None
    stat = path.stat()
    return {
        "path": str(path),
        "size": int(stat.st_size),
        "mtime": float(stat.st_mtime),
        "sha256": file_sha256(path),
    }


def _load_file(rest: str, *, target, categorical, impute, **_) -> Dataset:
    frame = read_table(rest, text_columns=check_categorical(categorical))
    if target is None:
        raise ValueError(
            f"file:{rest} needs the label column: add target=<column> "
            f"(columns: {[str(c) for c in frame.columns][:20]})."
        )
    _check_spaces(frame, name=f"file:{rest}")
    if Path(rest).suffix.lower() in (".parquet", ".pq"):
        categorical = [*(check_categorical(categorical) or []), *_text_columns(frame, target)]
    return dataset_from_frame(
        frame,
        target,
        name=f"file:{Path(rest).name}",
        categorical=categorical,
        impute=impute,
        source={"kind": "file", "path": str(Path(rest).expanduser().resolve())},
    )


def _check_spaces(frame: pd.DataFrame, name: str) -> None:
    """Refuse text values that differ only by surrounding spaces (``"yes"``, ``"yes "``):
    genover strips them (KEEL files pad their labels) and would merge what the file, and
    so ``genover-generate``'s output, keeps apart."""
    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[column]) or pd.api.types.is_bool_dtype(
            frame[column]
        ):
            continue
        raw = pd.Series(frame[column].dropna().astype(str).unique())
        merged = raw[raw.str.strip().duplicated(keep=False)]
        if len(merged):
            shown = ", ".join(repr(v) for v in sorted(merged)[:5])
            raise ValueError(
                f"column {str(column)!r} of {name} has values that differ only by surrounding "
                f"spaces ({shown}); make them one value in the file (or truly different)."
            )


def _text_columns(frame: pd.DataFrame, target: str) -> list[str]:
    """Feature columns that a Parquet schema types as text or category: categorical, as in
    ``genover-generate``, even when their values look numeric (ZIP ``00501`` stays a code)."""
    return [
        str(c)
        for c in frame.columns
        if c != target
        and (
            pd.api.types.is_string_dtype(frame[c])
            or isinstance(frame[c].dtype, pd.CategoricalDtype)
        )
    ]


LOADERS: dict[str, Callable[..., Dataset]] = {
    "keel": _load_keel,
    "sklearn": _load_sklearn,
    "synthetic": _load_synthetic,
    "file": _load_file,
}
