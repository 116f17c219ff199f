"""Samplers speaking imbalanced-learn's API (fit_resample, sampling_strategy, random_state)."""

from genover.samplers.classical import ADASYN, SMOTE, SMOTENC, BorderlineSMOTE

__all__ = ["ADASYN", "SMOTE", "SMOTENC", "BorderlineSMOTE"]
