"""``/dashboard/users``: the merchant's team (``store.users``): invite someone with a role, change a member's
role, remove a member (their sessions end).  Nobody grants, changes or removes a role above their own
(``shared.permissions.within``, as the API's ``/users``), and the last owner stays."""

import functools
import re
import urllib.parse

import falcon

from dashboard import PREFIX
from dashboard.web import form, redirect, render
from shared.permissions import ROLES, within
from store import users
from store.errors import StateConflict
from store.unit import Unit

PAGE_SIZE = 100
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")
USER_ID = re.compile(r"usr_[A-Za-z0-9]{24}")


class RoleAbove(Exception):
    """The role is above the user's own."""


def _may(viewer, role: str) -> None:
    """Raises RoleAbove when ``viewer`` may not grant, change or remove ``role``."""
    if not within(ROLES[viewer.role], role):
        raise RoleAbove(role)


def _page(req, resp, status=200, invitation=None, error=None):
    viewer = req.context.viewer
    members, _ = users.members(viewer.merchant_id, limit=PAGE_SIZE)
    grantable = [role for role in ROLES if within(ROLES[viewer.role], role)]
    # the link to send, as the browser reached this dashboard (behind the chart's Ingress: its host)
    link = invitation and f"{req.forwarded_prefix}{PREFIX}/invitations/accept?" + urllib.parse.urlencode(
        {"token": invitation["token"]}
    )
    render(
        req,
        resp,
        "team.html",
        status,
        members=members,
        roles=grantable,
        invitation=invitation,
        link=link,
        error=error,
    )


def _member(user_id: str) -> str:
    if not USER_ID.fullmatch(user_id):
        raise falcon.HTTPNotFound()
    return user_id


class Collection:
    """``GET /dashboard/users`` and ``POST`` (an invitation: its token shown once, for the person)."""

    actions = {"GET": "users.read", "POST": "users.write"}

    def __init__(self, config):
        self.hours = config.invitation_hours

    def on_get(self, req, resp):
        _page(req, resp)

    def on_post(self, req, resp):
        viewer, fields = req.context.viewer, form(req)
        email, role = fields.get("email", "").strip(), fields.get("role", "")
        if not EMAIL.fullmatch(email):
            return _page(req, resp, 422, error="Give the person's email address.")
        if role not in ROLES or not within(ROLES[viewer.role], role):
            return _page(req, resp, 403, error="Choose a role no higher than your own.")
        try:
            with Unit():
                invitation = users.invite(viewer.merchant_id, email, role, self.hours)
        except StateConflict as exc:
            return _page(req, resp, 409, error=f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
        _page(req, resp, 201, invitation=invitation)


class Member:
    """``POST /dashboard/users/{id}/role {role}`` and ``POST /dashboard/users/{id}/remove``."""

    actions = {"POST": "users.write"}

    def __init__(self, change: str):
        self.change = change

    def on_post(self, req, resp, user_id):
        viewer = req.context.viewer
        may = functools.partial(_may, viewer)
        try:
            with Unit():
                if self.change == "role":
                    role = form(req).get("role", "")
                    if role not in ROLES:
                        raise RoleAbove(role)
                    may(role)
                    user = users.change_role(viewer.merchant_id, _member(user_id), role, may)
                    done = f"{user['email']} is now {role}."
                else:
                    user = users.member(viewer.merchant_id, _member(user_id))
                    users.remove(viewer.merchant_id, user_id, may)
                    done = f"{user['email']} is removed from the team; their sessions ended."
        except RoleAbove:
            redirect(req, resp, f"{PREFIX}/users", "That role is above your own.", "error")
        except StateConflict as exc:
            redirect(req, resp, f"{PREFIX}/users", f"{str(exc)[:1].upper()}{str(exc)[1:]}.", "error")
        redirect(req, resp, f"{PREFIX}/users", done)


def routes(app, config):
    app.add_route(f"{PREFIX}/users", Collection(config))
    app.add_route(f"{PREFIX}/users/{{user_id}}/role", Member("role"))
    app.add_route(f"{PREFIX}/users/{{user_id}}/remove", Member("remove"))
