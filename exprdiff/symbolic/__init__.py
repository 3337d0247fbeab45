"""Derivatives as expressions: `diff`, `gradients` and `hessian` from the ops' own rules,
`simplify`, finite differences and `check_grads`, which holds them all to each other."""
