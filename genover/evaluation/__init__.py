"""Evaluation: per-fold metrics and the files a run leaves behind."""

from genover.evaluation.metrics import SUMMARY_METRICS, score_probabilities

__all__ = ["SUMMARY_METRICS", "score_probabilities"]
