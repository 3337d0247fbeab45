"""Build, plan and run: the immutable nodes, their evaluation plans, the interpreter,
values, errors and the text printer every other layer reads trees with."""
