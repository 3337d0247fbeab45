"""Looking at expressions: LaTeX and Graphviz DOT (text is in `exprdiff.core.printing`,
plots in `exprdiff.plot`); they only read trees and values."""
