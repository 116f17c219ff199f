"""The generator-backed over-samplers: one thin class per LightningModule."""

from __future__ import annotations

import copy
import dataclasses

from genover.models import (
    ARAE,
    BAGAN,
    CVAE,
    DDPM,
    VAEGAN,
    FlowMatching,
    TabularAutoencoder,
    fit_class_gaussians,
)
from genover.models.diagnostics import validation_mmd
from genover.samplers.defaults import measured_defaults, signature_defaults
from genover.samplers.generative import GenerativeOverSampler
from genover.training import train_module


@measured_defaults(filter_confidence=0.25)
class CVAESampler(GenerativeOverSampler):
    """Over-sampling with a conditional VAE (:class:`genover.models.CVAE`)."""

    module_class = CVAE


@measured_defaults(filter_confidence=0.25)
class DDPMSampler(GenerativeOverSampler):
    """Over-sampling with a class-conditional DDPM (:class:`genover.models.DDPM`)."""

    module_class = DDPM


class FlowSampler(GenerativeOverSampler):
    """Over-sampling with class-conditional flow matching (:class:`genover.models.FlowMatching`).

    ``model`` keys: ``hidden``, ``depth``, ``time_dim``, ``dropout`` (the velocity network),
    ``coupling`` ("independent" or "ot"), ``sample_steps`` and ``solver`` (the ODE),
    ``p_uncond`` and ``guidance`` (classifier-free guidance), ``anchor_share`` and
    ``anchor_noise`` (draws started from a real row, as the DDPM's). The confidence filter
    and the other sampler settings work as for every generator.
    """

    module_class = FlowMatching


class VAEGANSampler(GenerativeOverSampler):
    """Over-sampling with a class-conditional VAE/GAN (:class:`genover.models.VAEGAN`).

    ``model`` keys: ``hidden``, ``latent_dim``, ``class_dim``, ``dropout`` (encoder, decoder
    and discriminator), ``beta`` and ``kl_warmup_steps`` (the KL term), ``feature_weight``,
    ``nll_weight`` and ``adversarial_weight`` (the discriminator-feature and element-wise
    reconstruction terms and the GAN term), ``tau`` (Gumbel-softmax temperature of the
    categories D sees), ``posterior_share`` and ``posterior_scale`` (draws around real rows'
    codes, as the CVAE's). Each batch is two optimiser steps of ``trainer.max_steps``.
    """

    module_class = VAEGAN


class ARAESampler(GenerativeOverSampler):
    """Over-sampling with a class-conditional ARAE (:class:`genover.models.ARAE`).

    ``model`` keys: ``hidden``, ``code_dim``, ``class_dim``, ``dropout``, ``code_noise`` (sd
    of the noise on codes while the decoder trains), ``adversarial_weight`` (the encoder's
    pull towards the generator's codes), ``gp_weight`` (WGAN-GP penalty),
    ``critic_lr_factor`` (the critic's learning rate as a multiple of ``lr``) and
    ``ema_decay`` (rows come from this moving average of the code generator). Each batch is
    two optimiser steps of ``trainer.max_steps``.
    """

    module_class = ARAE


class BAGANSampler(GenerativeOverSampler):
    """Over-sampling with BAGAN (:mod:`genover.models.bagan`).

    ``model`` keys: ``hidden``, ``latent_dim``, ``dropout`` (the autoencoder, reused by the
    generator and discriminator), ``ae_steps`` (pretraining optimiser steps), ``shrinkage``
    (of class covariances towards the pooled one), ``gan_lr`` and ``tau`` (Gumbel-softmax
    temperature). ``trainer.max_steps`` bounds the adversarial stage (generator and
    discriminator steps both count). With validation rows, the adversarial stage is kept
    only if it beats its own starting point (the decoder with the class Gaussians) on
    validation MMD; otherwise that starting point is the result. ``adversarial_kept_`` and
    the fold outcome record which happened.
    """

    module_class = BAGAN
    _AE_KEYS = ("hidden", "latent_dim", "dropout")

    #: The ``model`` keys this sampler reads itself (the others go to the modules).
    OWN_MODEL_DEFAULTS = {"ae_steps": 300, "shrinkage": 1.0, "gan_lr": 2e-4}

    @classmethod
    def model_defaults(cls) -> dict:
        return {
            **signature_defaults(TabularAutoencoder),
            **super().model_defaults(),
            **cls.OWN_MODEL_DEFAULTS,
        }

    def _train_module(self, data, layout, num_classes, settings, seed):
        options = {**self.OWN_MODEL_DEFAULTS, **(self.model or {})}
        ae_steps = int(options.pop("ae_steps"))
        shrinkage = float(options.pop("shrinkage"))
        ae_options = {k: options.pop(k) for k in self._AE_KEYS if k in options}
        autoencoder = self._build(TabularAutoencoder, layout=layout, lr=self.lr, **ae_options)
        ae_settings = dataclasses.replace(
            settings,
            max_steps=ae_steps,
            max_epochs=None,
            log_name=f"{settings.log_name}_autoencoder",
        )
        self.pretrain_result_ = train_module(autoencoder, data, ae_settings, seed)
        means, chols = fit_class_gaussians(
            autoencoder.encoder,
            data.x_all.to(autoencoder.device),
            data.y_all.to(autoencoder.device),
            num_classes,
            shrinkage,
        )
        gan_lr = options.pop("gan_lr")
        module = self._build(
            BAGAN,
            autoencoder=autoencoder,
            num_classes=num_classes,
            class_means=means,
            class_chols=chols,
            lr=gan_lr,
            **options,
        )
        start_state = copy.deepcopy(module.state_dict())
        start_score = (
            float(validation_mmd(module, data.val_x, data.val_y, seed))
            if data.has_validation
            else None
        )
        self.train_result_ = self._fit(module, data, settings, seed)
        best = self.train_result_.best_score
        self.adversarial_kept_ = start_score is None or (best is not None and best < start_score)
        self.adversarial_scores_ = (start_score, best)
        if not self.adversarial_kept_:
            module.load_state_dict(start_state)
        return module

    def _extra_outcome(self) -> dict:
        start, best = self.adversarial_scores_
        return {
            **self.pretrain_result_.outcome("autoencoder_"),
            "adversarial_kept": bool(self.adversarial_kept_),
            "adversarial_start_mmd": start,
            "adversarial_best_mmd": best,
        }
