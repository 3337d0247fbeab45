"""Looking at expressions: LaTeX, Graphviz DOT, the backward pass step by step and its
animations (text is in `exprdiff.core.printing`, plots in `exprdiff.plot`); they only read
trees and values."""
