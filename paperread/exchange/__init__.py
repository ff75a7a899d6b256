"""Moving a whole catalog in and out: the catalog document, and importing any file into the
catalog as a plan. The modules, in the order an import uses them:

- ``document``: the catalog document (paperread's lossless JSON), its check, and writing one.
- ``clean``: every value of a document checked and made canonical; bad rows skipped (``Problem``).
- ``snapshot``: the catalog as an import sees it, read once, as plain data.
- ``match``: which rows of the file are which rows of the catalog.
- ``diff``: field-by-field differences; ids never given to two papers.
- ``order``: where rows go in their lists.
- ``planning`` and ``assemble``: the pure functions that make the plan.
- ``plan``: the ``Plan`` value (every change, kept row and skipped row) and ``Carried``.
- ``apply``: writing exactly a plan. ``bulk``: loading a document into an empty catalog.
- ``sql``: the set-based statements both use. ``run``: the import itself, end to end.

Nothing is imported here, so ``export json`` (a read) loads only what it uses.
"""
