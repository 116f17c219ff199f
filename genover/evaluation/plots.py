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


def _save(fig, path: Path, bbox_inches: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches=bbox_inches)
    plt.close(fig)


def plot_cd_diagram(ranks: dict[str, float], cd: float, path: Path, title: str):
    """A critical-difference diagram (Demsar 2006): average ranks on an axis, methods whose
    ranks differ by less than ``cd`` joined by a bar."""
    names = sorted(ranks, key=ranks.get)
    k = len(names)
    fig, ax = plt.subplots(figsize=(7, 1.6 + 0.32 * k))
    ax.set_xlim(0.5, k + 0.5)
    ax.set_ylim(0, 1.15)
    ax.axis("off")
    top = 0.85
    ax.hlines(top, 1, k, color="black", lw=1)
    for r in range(1, k + 1):
        ax.vlines(r, top, top + 0.03, color="black", lw=1)
        ax.text(r, top + 0.05, str(r), ha="center", va="bottom", fontsize=8)
    step = 0.7 / max(k, 1)
    for i, name in enumerate(names):
        left = i < (k + 1) // 2
        y = top - 0.08 - step * (i if left else k - 1 - i)
        x_end = 0.6 if left else k + 0.4
        ax.plot([ranks[name], ranks[name], x_end], [top, y, y], color="black", lw=0.8)
        ax.text(
            x_end,
            y,
            f"{name} ({ranks[name]:.2f})",
            ha="right" if left else "left",
            va="center",
            fontsize=8,
        )
    if np.isfinite(cd):
        ax.hlines(top + 0.16, 1, min(1 + cd, k), color="tab:red", lw=2)
        ax.text(1, top + 0.18, f"CD = {cd:.2f}", ha="left", fontsize=8, color="tab:red")
        ordered = [ranks[n] for n in names]
        cliques: list[tuple[int, int]] = []
        for i in range(k):
            j = max(j for j in range(i, k) if ordered[j] - ordered[i] < cd)
            if j > i and not any(a <= i and j <= b for a, b in cliques):
                ax.hlines(
                    top - 0.06 - 0.03 * len(cliques),
                    ordered[i] - 0.03,
                    ordered[j] + 0.03,
                    color="tab:blue",
                    lw=3,
                )
                cliques.append((i, j))
    fig.suptitle(title, fontsize=9)
    _save(fig, path)


def plot_panels(
    panels: dict,
    path: Path,
    xlabel: str,
    ylabel: str,
    highlight: list[str] | None = None,
):
    """One line chart per panel (title -> frame with x labels as index and one column per
    line), sharing the y axis; lines named in ``highlight`` are drawn solid and thick."""
    n = len(panels)
    cols = min(4, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), sharey=True)
    axes = np.atleast_1d(axes).ravel()
    highlight = set(highlight or [])
    for ax, (title, frame) in zip(axes, panels.items(), strict=False):
        x = np.arange(len(frame.index))
        for column in frame.columns:
            strong = column in highlight
            ax.plot(
                x,
                frame[column].to_numpy(dtype=float),
                marker="o",
                lw=2.2 if strong else 1.0,
                ls="-" if strong else "--",
                ms=4,
                label=column,
            )
        ax.set_xticks(x, [str(i) for i in frame.index])
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.grid(alpha=0.3)
    for ax in axes[n:]:
        ax.axis("off")
    axes[0].set_ylabel(ylabel)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.tight_layout()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=9, fontsize=8)
    _save(fig, path, bbox_inches="tight")  # "tight" keeps the legend below the panels
