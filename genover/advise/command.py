"""``genover advise <overrides>``: compose the config, print the advice and run the check."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from omegaconf import DictConfig

from genover.advise.guidelines import advise
from genover.advise.profile import data_overrides, profile_dataset
from genover.advise.ranking import rank_candidates, run_folds
from genover.advise.text import format_advice, format_ranking, usage
from genover.data import Dataset


def _load(cfg: DictConfig) -> Dataset:
    """The dataset, with missing values allowed so that they can be counted."""
    from genover.data import load_dataset

    return load_dataset(
        cfg.data,
        target=cfg.get("target"),
        categorical=cfg.get("categorical"),
        impute=cfg.get("impute") or "median",
        seed=int(cfg.seed),
    )


def advise_main(argv: Sequence[str]) -> int:
    """``genover advise <overrides>``: print the advice (and the ranking with advise.run=true);
    returns the exit code (2 for a bad input)."""
    if {"-h", "--help"} & set(argv):
        sys.stdout.write(usage())
        return 0
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module="genover.conf", version_base="1.3"):
            cfg = compose(config_name="advise", overrides=list(argv))
            profile = profile_dataset(_load(cfg))
            advice = advise(profile, data_overrides(cfg, profile), cfg.get("domain"))
            sys.stdout.write(format_advice(advice))
            if cfg.advise.run:
                folds, repeats = run_folds(advice, int(cfg.advise.folds)), int(cfg.advise.repeats)
                ranked = rank_candidates(
                    advice, lambda o: compose(config_name="config", overrides=o), folds, repeats
                )
                sys.stdout.write(format_ranking(ranked, folds, repeats))
    except (ValueError, HydraException) as err:
        sys.stderr.write(f"genover advise: {err}\n")
        return 2
    return 0
