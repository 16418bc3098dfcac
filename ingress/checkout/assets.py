"""The browser's files of this package (``static/``: plain JS, HTML and CSS, no build step), read once per
process."""

import importlib.resources

FILES = importlib.resources.files("ingress.checkout") / "static"
#: How long browsers and proxies may keep an asset: short, as its URL never changes with a release.
ASSET_MAX_AGE = 300
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def read(name: str) -> bytes:
    return (FILES / name).read_bytes()


class Asset:
    """``GET`` of one file of ``static/``, cacheable for ``ASSET_MAX_AGE`` seconds."""

    public = True

    def __init__(self, name: str):
        self.body = read(name)
        self.content_type = CONTENT_TYPES[name[name.rindex(".") :]]

    def on_get(self, req, resp):
        resp.data = self.body
        resp.content_type = self.content_type
        resp.cache_control = ("public", f"max-age={ASSET_MAX_AGE}")
        resp.set_header("X-Content-Type-Options", "nosniff")
