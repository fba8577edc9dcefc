"""The loss lab: reward and preference losses as pure numpy functions, plus their registry.

Use :func:`app.losses.compute.compute` to evaluate a registered loss on validated inputs, and
:mod:`app.losses.registry` for the metadata (formula, papers, inputs, params, presets).
"""
