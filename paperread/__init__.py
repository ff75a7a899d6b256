"""paperread: a tracker for a curated catalog of research papers and the videos that cover them."""

__version__ = "0.1.0"
