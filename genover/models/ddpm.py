"""A small DDPM (Ho et al. 2020) for tabular rows, with DDIM sampling and optional CFG.

Categorical columns are diffused as one-hot vectors in the same Gaussian process and decoded
by argmax. One process and one epsilon loss cover every column, DDIM's fast sampler applies
unchanged, and argmax always yields a valid category. TabDDPM's multinomial diffusion needs
a second process, a second loss to balance, and has no DDIM-style shortcut; on the small
KEEL tables genover targets, the one-hot Gaussian is the simpler sound choice.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from genover.models.base import AnchoredDraws, TabularGenerator, anchor_index
from genover.models.components.denoiser import MLPDenoiser
from genover.models.components.diffusion import GaussianDiffusion
from genover.models.components.mixed import TabularLayout
from genover.models.components.schedules import make_schedule


class DDPM(AnchoredDraws, TabularGenerator):
    """Class-conditional Gaussian diffusion over encoded rows.

    ``steps`` is the chain length; ``sample_steps`` < ``steps`` samples with DDIM (``eta``
    controls its stochasticity). ``p_uncond`` > 0 trains an unconditional token as well, so
    that ``guidance`` > 0 applies classifier-free guidance (Ho & Salimans 2022) at sampling.
    ``contrast`` > 0 applies class-contrastive guidance at sampling (the idea of SOS, Kim et
    al. 2022): eps_y + contrast * (eps_y - eps_other), where eps_other is the mean noise
    prediction of the other classes, pushing the class's draws away from them.

    ``anchor_share`` > 0 starts that share of the draws from a real training row of the class
    instead of pure noise: the row is noised and denoised back (SDEdit, Meng et al. 2022)
    with DDIM over the matching share of ``sample_steps``. ``anchor_noise`` is the noise
    level, the share 1 - abar_t of the noised row's variance that is noise: the chain starts
    at the first timestep whose 1 - abar_t reaches it, so one value means the same noise
    under every schedule (``anchor_timestep``). The draws stay on the class's support (the
    diffusion analogue of the CVAE's posterior draws); ``anchor_noise`` sets how far they
    may move from their anchors. The anchors are set after training, so the ``val/mmd``
    diagnostic logged during training scores draws from pure noise.
    """

    def __init__(
        self,
        layout: TabularLayout,
        num_classes: int,
        hidden: int = 256,
        depth: int = 3,
        time_dim: int = 64,
        dropout: float = 0.0,
        steps: int = 200,
        schedule: str = "cosine",
        sample_steps: int = 50,
        eta: float = 0.0,
        p_uncond: float = 0.1,
        guidance: float = 0.0,
        contrast: float = 0.0,
        anchor_share: float = 1.0,
        anchor_noise: float = 0.5,
        lr: float = 1e-3,
        weight_decay: float = 1e-5,
    ):
        super().__init__(layout, num_classes)
        if not (0.0 <= anchor_share <= 1.0 and 0.0 < anchor_noise < 1.0):
            raise ValueError(
                f"anchor_share={anchor_share} must lie in [0, 1] and anchor_noise="
                f"{anchor_noise} (the noise share 1 - abar of the noised anchor) in (0, 1)."
            )
        self.save_hyperparameters(ignore=["layout"])
        self._anchors: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self._anchored = False  # set by fit_anchors: from then on every draw class needs them
        self.denoiser = MLPDenoiser(layout.dim, num_classes, hidden, depth, time_dim, dropout)
        self.diffusion = GaussianDiffusion(make_schedule(schedule, steps))

    def _drop_labels(self, y: torch.Tensor) -> torch.Tensor:
        if self.hparams.p_uncond <= 0:
            return y
        drop = torch.rand(y.shape, device=y.device) < self.hparams.p_uncond
        return torch.where(drop, torch.full_like(y, self.num_classes), y)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = self.diffusion.p_losses(self.denoiser, x, self._drop_labels(y))
        self.log_epoch_means({"train/loss": loss}, x.shape[0])
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        with torch.random.fork_rng(devices=[x.device] if x.is_cuda else []):
            torch.manual_seed(batch_idx)  # the same timesteps and noise every epoch
            loss = self.diffusion.p_losses(self.denoiser, x, y)
        self.log("val/loss", loss, batch_size=x.shape[0])

    def finetune_loss(
        self,
        x_own: torch.Tensor,
        y_own: torch.Tensor,
        x_other: torch.Tensor | None,
        push: float = 1.0,
        margin: float = 1.0,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The minority fine-tuning objective (the idea of SOS, Kim et al. 2022).

        The epsilon loss on the rows ``x_own`` conditioned on their labels ``y_own``, plus
        ``push`` x mean(relu(margin - ||eps(x_t^other, t, y_own) - eps||^2 / d)): row i of
        ``x_other`` (a real row of another class than ``y_own[i]``), noised and conditioned
        on ``y_own[i]``, should be denoised at least ``margin`` badly (1.0 is the error of
        predicting zero noise), so the class's score field stops covering other classes'
        regions. The hinge is bounded: its gradient stops once the margin is reached.
        ``push`` = 0 or ``x_other`` None: the epsilon loss alone (other rows are not used).
        With anchored draws (``anchor_share`` > 0) the hinge covers only the timesteps those
        draws pass through (up to ``anchor_timestep``): above it, where a noised row is
        nearly pure noise, it would fight the class's own denoising.
        """
        own = self.diffusion.p_losses(self.denoiser, x_own, y_own)
        parts = {"own": own}
        if push <= 0 or x_other is None:
            return own, parts
        t = torch.randint(0, self._push_steps(), (x_other.shape[0],), device=x_other.device)
        noise = torch.randn_like(x_other)
        x_t = self.diffusion.q_sample(x_other, t, noise)
        error = (self.denoiser(x_t, t, y_own) - noise).pow(2).mean(dim=1)
        hinge = F.relu(margin - error).mean()
        parts["push"] = hinge
        return own + push * hinge, parts

    def _push_steps(self) -> int:
        """How many timesteps, from 0, the fine-tuning hinge samples."""
        if self.hparams.get("anchor_share", 0.0) > 0:
            return self.anchor_timestep() + 1
        return self.diffusion.num_steps

    def _eps(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        w = float(self.hparams.guidance)
        c = float(self.hparams.get("contrast", 0.0))
        eps = self.denoiser(x, t, y)
        out = eps
        if w != 0:
            uncond = self.denoiser(x, t, torch.full_like(y, self.num_classes))
            out = (1 + w) * eps - w * uncond
        if c != 0 and self.num_classes > 1:
            others = [
                self.denoiser(x, t, (y + k) % self.num_classes) for k in range(1, self.num_classes)
            ]
            out = out + c * (eps - torch.stack(others).mean(dim=0))
        return out

    @torch.no_grad()
    def fit_anchors(self, x: torch.Tensor, y: torch.Tensor, classes=None) -> None:
        """Keep the real training rows of ``classes`` (every class if None), with their
        indices into ``x``, for anchored draws."""
        self._anchors = {}
        self._anchored = self.hparams.get("anchor_share", 0.0) > 0
        if not self._anchored:
            return
        x, y = x.to(self.device, torch.float32), y.to(self.device, torch.long)
        for c, index in anchor_index(y, classes, "anchor_share").items():
            self._anchors[int(c)] = (x[index], index)

    def anchor_timestep(self) -> int:
        """The first timestep whose noise share 1 - abar_t reaches ``anchor_noise``."""
        abar = self.diffusion.alphas_cumprod
        reached = torch.nonzero(1 - abar >= float(self.hparams.anchor_noise) - 1e-12).flatten()
        return int(reached[0]) if len(reached) else len(abar) - 1

    @torch.no_grad()
    def sample_with_anchors(self, n, y, generator=None):
        labels = self.labels(n, y)
        x_T = torch.randn((len(labels), self.layout.dim), generator=generator, device=self.device)
        anchors = torch.full((len(labels),), -1, dtype=torch.long, device=self.device)
        share = float(self.hparams.get("anchor_share", 0.0))
        if share > 0 and self._anchored:
            use = torch.rand(len(labels), generator=generator, device=self.device) < share
            out = torch.empty_like(x_T)
            if (~use).any():
                out[~use] = self._denoise(x_T[~use], labels[~use], generator)
            if use.any():
                out[use], anchors[use] = self._anchored_draws(x_T[use], labels[use], generator)
            return self._argmax_categoricals(out), anchors
        return self._argmax_categoricals(self._denoise(x_T, labels, generator)), anchors

    def _anchored_draws(self, noise, labels, generator):
        """Real rows of each label noised to ``anchor_noise`` and denoised (SDEdit), and the
        index of each draw's real row."""
        x0 = torch.empty_like(noise)
        anchors = torch.empty(len(labels), dtype=torch.long, device=self.device)
        for c in labels.unique().tolist():
            if int(c) not in self._anchors:
                raise ValueError(
                    f"class {c} has no anchors: they are kept for the classes the sampler "
                    f"over-samples ({sorted(self._anchors)}); sample one of those, or set "
                    "model.anchor_share=0 to draw from noise."
                )
            rows = torch.nonzero(labels == c).flatten()
            pool, index = self._anchors[int(c)]
            pool, index = pool.to(self.device), index.to(self.device)  # if moved after the fit
            pick = torch.randint(len(pool), (len(rows),), generator=generator, device=self.device)
            x0[rows], anchors[rows] = pool[pick], index[pick]
        start = self.anchor_timestep()
        t = torch.full((len(labels),), start, device=self.device, dtype=torch.long)
        x_start = self.diffusion.q_sample(x0, t, noise)
        sample_steps = max(1, round(self.hparams.sample_steps * (start + 1) / self.hparams.steps))
        x = self.diffusion.ddim_sample(
            self._eps, x_start, labels, generator, sample_steps, self.hparams.eta, start=start
        )
        return x, anchors

    def _denoise(self, x_T, labels, generator):
        if self.hparams.sample_steps < self.hparams.steps:
            return self.diffusion.ddim_sample(
                self._eps, x_T, labels, generator, self.hparams.sample_steps, self.hparams.eta
            )
        return self.diffusion.p_sample_loop(self._eps, x_T, labels, generator)

    def _argmax_categoricals(self, x: torch.Tensor) -> torch.Tensor:
        numeric, blocks = self.layout.split(x)
        parts = [numeric] + [F.one_hot(b.argmax(dim=1), b.shape[1]).to(x.dtype) for b in blocks]
        return torch.cat(parts, dim=1)
