"""The untrained AND-gate perceptron: its value and gradient dict on the four truth-table inputs.

Run: python demos/perceptron.py
"""

from exprdiff import Input, Parameter, Sigmoid

x1, x2 = Input("x1"), Input("x2")
w1, w2, b = Parameter("w1"), Parameter("w2"), Parameter("b")
perceptron = Sigmoid(w1 * x1 + w2 * x2 + b)
params = {w1: 1.0, w2: 1.0, b: 0.0}

print(f"model: {perceptron}")
print(f"params: w1 = {params[w1]}, w2 = {params[w2]}, b = {params[b]}")
print(f"{'x1':>3} {'x2':>3} {'value':>10}   gradient")
for a in (0, 1):
    for c in (0, 1):
        inputs = {x1: a, x2: c}
        grads = perceptron.grad(params, inputs)
        shown = ", ".join(f"{p}: {g:.6f}" for p, g in grads.items())
        print(f"{a:>3} {c:>3} {perceptron(params, inputs):>10.6f}   {{{shown}}}")
