"""Synthetic but realistic landing folders for every source (``yj sample``)."""
