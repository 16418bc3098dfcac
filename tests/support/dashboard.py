"""The dashboard's routes as its router holds them, so that a test walks every page and refuses every form:
a route added later is in the walk without a line of test."""

import dataclasses

from dashboard.app import create_app
from shared.config import Config
from store.vault import Vault


@dataclasses.dataclass(frozen=True)
class Route:
    """A route: its URI template, its resource, and the HTTP methods the resource answers."""

    template: str
    resource: object
    methods: tuple[str, ...]

    @property
    def public(self) -> bool:
        return bool(getattr(self.resource, "public", False))

    def action(self, method: str) -> str | None:
        """The action the Guard checks for ``method`` (None: the Guard refuses every role)."""
        return getattr(self.resource, "actions", {}).get(method)

    def path(self, **values: str) -> str:
        """The template with its ``{fields}`` from ``values``.

        Raises:
          KeyError: a field without a value (a new kind of page the caller has no example of).
        """
        return self.template.format_map(values) if "{" in self.template else self.template


def routes() -> list[Route]:
    """Every route ``dashboard.app.create_app`` adds, in the router's order.  The app is built for its router
    only: no request is sent to it, so its collaborators are placeholders."""
    config = Config.from_env({}, database_url="sqlite:///:memory:")
    app = create_app(config, vault=Vault.from_config(config), cache=None, relay=None)
    found: list[Route] = []

    def walk(nodes):
        for node in nodes:
            if node.resource is not None:
                methods = tuple(m for m in ("GET", "POST") if hasattr(node.resource, f"on_{m.lower()}"))
                found.append(Route(node.uri_template, node.resource, methods))
            walk(node.children)

    walk(app._router._roots)  # falcon's CompiledRouter keeps no public list of its routes
    return found
