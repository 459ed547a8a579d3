"""Adapters to the outside world: an abstract port and the real implementation for each."""
