"""``restore serve``: a web page and JSON API over one shared model (:func:`create_app`).

Needs the ``serve`` extra (``pip install 'restore[serve]'``: Starlette and uvicorn).
"""

from restore.serve.app import DEFAULT_MAX_BYTES, create_app

__all__ = ["DEFAULT_MAX_BYTES", "create_app"]
