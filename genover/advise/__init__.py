"""``genover advise``: profile a dataset and recommend methods for its imbalance and domain."""

from genover.advise.guidelines import (
    Advice,
    Profile,
    Recommendation,
    advise,
    advise_main,
    data_overrides,
    format_advice,
    rank_candidates,
    ratio_band,
)

__all__ = [
    "Advice",
    "Profile",
    "Recommendation",
    "advise",
    "advise_main",
    "data_overrides",
    "format_advice",
    "rank_candidates",
    "ratio_band",
]
