"""Handing expressions to JAX and PyTorch: the same lowering, another array namespace.

`exprdiff.backends.forward_code` lowers an expression's rewritten plan to a
forward function over any array library, from each operation's own
``jax_code`` / ``torch_code`` (`exprdiff.core.nodes.Node`);
`exprdiff.backends.jax_backend` makes it a pure JAX function (`to_jax`),
`exprdiff.backends.torch_backend` a `torch.nn.Module` (`to_torch`), and
`exprdiff.backends.names` moves weights between them by leaf name.  JAX
and PyTorch are imported only when one of these is called
(`exprdiff.backends.libraries`).
"""
