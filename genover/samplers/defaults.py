"""Constructor defaults of the generator samplers: a module's own keyword defaults, and the
measured defaults a sampler class carries (the ones its ``conf/sampler`` file also holds)."""

from __future__ import annotations

import inspect


def signature_defaults(module_class) -> dict:
    """The keyword defaults of a module's constructor that ``model`` may set."""
    skip = {"layout", "num_classes", "lr"}
    return {
        k: p.default
        for k, p in inspect.signature(module_class).parameters.items()
        if k not in skip and p.default is not inspect.Parameter.empty
    }


def measured_defaults(**defaults):
    """Class decorator: a generator sampler's own constructor defaults (the measured ones its
    ``conf/sampler`` file also holds), so that ``CVAESampler()`` in Python and
    ``sampler=cvae`` on the command line build the same method. ``get_params``, ``clone``
    and the signature all show them."""

    def wrap(cls):
        base_init = cls.__init__
        signature = inspect.signature(base_init)
        unknown = set(defaults) - set(signature.parameters)
        if unknown:
            raise TypeError(f"{cls.__name__}: no parameters {sorted(unknown)} to default.")

        def __init__(self, **params):
            base_init(self, **{**defaults, **params})

        __init__.__signature__ = signature.replace(
            parameters=[
                p.replace(default=defaults[p.name]) if p.name in defaults else p
                for p in signature.parameters.values()
            ]
        )
        __init__.__doc__ = base_init.__doc__
        cls.__init__ = __init__
        return cls

    return wrap
