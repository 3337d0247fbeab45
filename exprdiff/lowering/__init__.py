"""Lowering: plan-time rewrites, and the plan as straight-line code (forward and reverse).

`exprdiff.lowering.rewrites` rewrites a graph once, when it is planned;
`exprdiff.lowering.codegen` turns the rewritten plan into code for given
shapes, through a `exprdiff.lowering.templates.Backend` (NumPy; plain floats
with `math`); `exprdiff.lowering.dispatch` runs it once it pays;
`compiled` hands the code to the user; `exprdiff.lowering.training_step`
compiles `optimize`'s whole step.
"""
