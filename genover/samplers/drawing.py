"""Drawing rows from a fitted generator: model-space rows in chunks (through the sampler's
filter when it has one), and the decoded table of every class's new rows."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

_CHUNK = 16_384


def draw_model_rows(
    module, row_filter, n: int, index: int, generator: torch.Generator, copy_check=None
):
    """``n`` model-space rows of class index ``index`` from ``module`` (copies of training
    rows redrawn by ``copy_check``, then filtered and redrawn by ``row_filter``, when set)."""

    def draw(m: int) -> tuple[np.ndarray, np.ndarray]:
        chunks, anchors = [], []
        for start in range(0, m, _CHUNK):
            rows, at = module.sample_with_anchors(min(_CHUNK, m - start), index, generator)
            chunks.append(rows.float().cpu().numpy())
            anchors.append(at.cpu().numpy())
        return np.vstack(chunks), np.concatenate(anchors)

    if copy_check is not None:
        draw = copy_check.wrap(draw)
    return draw(n)[0] if row_filter is None else row_filter.select(draw, n, index)


def draw_table(codec, counts: dict, draw_codes: Callable[[int, object], np.ndarray]):
    """The new rows (decoded by ``codec``) and their labels: ``counts[label]`` rows of each
    label, drawn in ``counts``' order by ``draw_codes(n, label)``."""
    parts, labels = [], []
    for label, n in counts.items():
        if n > 0:
            parts.append(draw_codes(n, label))
            labels.append(np.full(n, label, dtype=object))
    if not parts:
        empty = np.empty((0, len(codec.columns)))
        return codec.decode(empty), np.array([], dtype=object)
    return codec.decode(np.vstack(parts)), np.concatenate(labels)
