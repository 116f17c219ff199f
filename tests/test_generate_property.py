"""A property of ``genover-generate`` over random small mixed tables: every sampler of
conf/sampler either exports the real rows exactly (values, labels, category labels, input
order) or refuses with a ValueError naming the category columns it cannot take."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from genover.generate import generate
from tests.conftest import fast_sampler_overrides

TEXT_LEVELS = (("a", "b", "c"), ("0", "01", "7"))  # plain and numeric-looking labels


@st.composite
def mixed_tables(draw) -> tuple[pd.DataFrame, list[str]]:
    """A table of 16-22 rows (6-8 of class ``rare``): 1-2 float columns, maybe a whole-number
    column, and 0-2 category columns (text, a pandas category with an unused level, or
    integer codes declared categorical); and the declared columns."""
    n_rare, n_common = draw(st.integers(6, 8)), draw(st.integers(10, 14))
    n = n_rare + n_common
    cells = st.integers(-300, 300).map(lambda v: v / 20)  # few distinct values: ties, copies
    frame = pd.DataFrame(
        {
            f"x{j}": draw(st.lists(cells, min_size=n, max_size=n))
            for j in range(draw(st.integers(1, 2)))
        }
    )
    if draw(st.booleans()):
        frame["count"] = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    declared = []
    for j, kind in enumerate(
        draw(st.lists(st.sampled_from(["text", "category", "codes"]), max_size=2))
    ):
        name = f"c{j}"
        if kind == "codes":
            frame[name] = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
            declared.append(name)
            continue
        levels = draw(st.sampled_from(TEXT_LEVELS))
        values = draw(st.lists(st.sampled_from(levels[:2]), min_size=n, max_size=n))
        frame[name] = pd.Categorical(values, list(levels)) if kind == "category" else values
    frame["y"] = ["rare"] * n_rare + ["common"] * n_common
    return frame, declared


def _category_columns(frame: pd.DataFrame, declared: list[str]) -> list[str]:
    return [c for c in frame.columns[:-1] if c in declared or frame[c].dtype.kind not in "if"]


def _in_order(real: pd.DataFrame, frame: pd.DataFrame) -> bool:
    """Whether every row of ``real`` is a row of ``frame`` (values and label), each input row
    used once and in input order (a sampler may have removed some)."""
    rows = iter(frame.astype(str).itertuples(index=False))
    return all(
        any(row == candidate for candidate in rows)
        for row in real.astype(str).itertuples(index=False)
    )


def _export_or_refuse(compose_cfg, sampler: str, frame: pd.DataFrame, declared: list[str]):
    categories = _category_columns(frame, declared)
    with tempfile.TemporaryDirectory() as folder:
        source, out = Path(folder) / "in.parquet", Path(folder) / "out.parquet"
        frame.to_parquet(source, index=False)
        cfg = compose_cfg(
            f"sampler={sampler}",
            *fast_sampler_overrides(sampler),
            f"data=file:{source}",
            "target=y",
            f"categorical=[{','.join(declared)}]",
            f"out={out}",
            tiny=False,
            config_name="generate",
        )
        try:
            manifest = generate(cfg)
        except ValueError as err:
            named = categories or list(frame.columns[:-1])  # else: its numeric columns
            assert all(repr(c) in str(err) for c in named), str(err)
            assert not out.exists()
            return
        table = pd.read_parquet(out)
    real = table[~table["is_synthetic"]].drop(columns="is_synthetic")
    assert list(real.columns) == list(frame.columns)
    assert _in_order(real, frame), "a real row changed, moved or was relabelled"
    assert manifest["rows"]["real"] + manifest["rows"]["removed"] == len(frame)
    synthetic = table[table["is_synthetic"]]
    for name in categories:
        dtype = frame[name].dtype
        if isinstance(dtype, pd.CategoricalDtype):  # its levels, used in the rows or not
            assert table[name].dtype == dtype, name
            known = set(dtype.categories)
        else:
            known = set(frame[name].astype(str))
        assert set(synthetic[name].astype(str)) <= known, name


def _sampler_names() -> list[str]:
    from genover.experiment import sampler_config_names

    return sampler_config_names()


@pytest.mark.parametrize("sampler", _sampler_names())
@settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(table=mixed_tables())
def test_every_sampler_exports_real_rows_exactly_or_names_the_columns(compose_cfg, sampler, table):
    frame, declared = table
    _export_or_refuse(compose_cfg, sampler, frame, declared)
