"""Sizes the database's columns set, for the checks that keep values inside them.

A module of its own, importing nothing, so the start-up of read commands (which check a
``PAPERREAD_USER`` or a ``--limit``) does not pay for ``values`` and its regular expressions.
"""

# The largest whole number a count column holds on both back ends (PostgreSQL INTEGER).
# Ids, limits and counts given on the command line are held to it too: SQLite refuses a
# bound parameter beyond 64 bits and PostgreSQL one beyond INTEGER.
COUNT_MAX = 2**31 - 1
# The longest reader name (PAPERREAD_USER): the size of the user_name columns (models.py).
USER_MAX = 120
