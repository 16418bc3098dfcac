"""Roles and scopes: one table decides (``ingress.permissions``), and the README shows that table."""

import pathlib

from ingress import permissions

README = (pathlib.Path(__file__).parents[2] / "README.md").read_text()


def test_the_readme_roles_table_is_the_generated_one():
    assert permissions.roles_table() in README


def test_each_role_holds_everything_the_one_below_it_holds():
    roles = list(permissions.ROLES.values())
    assert all(lower < higher for lower, higher in zip(roles, roles[1:], strict=False))
    assert roles[-1] == frozenset(permissions.SCOPES)


def test_every_action_needs_a_scope_some_role_holds():
    held = set(permissions.SCOPES) | {permissions.ADMIN, permissions.TOKENS}
    assert set(permissions.PERMISSIONS.values()) <= held
