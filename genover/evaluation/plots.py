"""Figures a run writes: PR and ROC curves per method, and a PCA view of synthetic rows."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_curve  # noqa: E402


def plot_pr_curves(curves: dict[str, tuple[np.ndarray, np.ndarray]], path: Path, title: str):
    """``curves``: method -> (binary truth, minority scores), pooled over test folds."""
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    prevalence = None
    for name, (truth, scores) in curves.items():
        precision, recall, _ = precision_recall_curve(truth, scores)
        ap = average_precision_score(truth, scores)
        ax.step(recall, precision, where="post", label=f"{name} (AP {ap:.3f})")
        prevalence = float(np.mean(truth))
    if prevalence is not None:
        ax.axhline(prevalence, color="grey", ls="--", lw=1, label=f"no skill ({prevalence:.3f})")
    ax.set(xlabel="recall (minority)", ylabel="precision", ylim=(0, 1.02), title=title)
    ax.legend(fontsize=8, loc="upper right")
    _save(fig, path)


def plot_roc_curves(curves: dict[str, tuple[np.ndarray, np.ndarray]], path: Path, title: str):
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    for name, (truth, scores) in curves.items():
        fpr, tpr, _ = roc_curve(truth, scores)
        ax.plot(fpr, tpr, label=name)
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="chance")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title=title)
    ax.legend(fontsize=8, loc="lower right")
    _save(fig, path)


def plot_synthetic_pca(
    real: np.ndarray,
    synthetic: np.ndarray,
    others: np.ndarray,
    path: Path,
    title: str,
    seed: int = 0,
):
    """Real minority, synthetic minority and other-class rows on the real rows' first two PCs."""
    pca = PCA(n_components=2, random_state=seed).fit(np.vstack([real, others]))
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    rng = np.random.default_rng(seed)
    shown = others[rng.permutation(len(others))[:1000]]
    for rows, label, style in (
        (shown, "other classes", dict(c="lightgrey", s=6)),
        (synthetic, "synthetic minority", dict(c="tab:orange", s=8, alpha=0.6)),
        (real, "real minority", dict(c="tab:blue", s=14, marker="x")),
    ):
        if len(rows):
            xy = pca.transform(rows)
            ax.scatter(xy[:, 0], xy[:, 1], label=label, **style)
    ax.set(xlabel="PC 1", ylabel="PC 2", title=title)
    ax.legend(fontsize=8)
    _save(fig, path)


def _save(fig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
