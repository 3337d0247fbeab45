"""Keeping models: save/load as JSON, export as Python source, the SymPy bridge,
atomic file writes and the command line."""
