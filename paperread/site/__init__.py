"""The catalog as a static site: ``paperread site DIR``.

Modules, each with one job (none imports a module listed after it, but ``build``):

- ``options``: what a build is asked for (notes or not, page sizes, the moment it is built).
- ``sql``: every read the site makes, as portable SQL over the ``db.Reader`` protocol.
- ``data``: rows shaped into what a page shows (pure functions: links, durations, series).
- ``charts``: SVG charts drawn when the site is built (titles and text alternatives included).
- ``pages``: the Jinja2 templates (autoescaped) turned into HTML text.
- ``writer``: the folder: staged beside DIR, then swapped in whole, files it did not write kept.
- ``build``: the one entry point, joining them.

Everything a page needs is in DIR (``assets/``): no CDN, font or script from elsewhere, so the
site opens from ``file://`` and from any static host.
"""
