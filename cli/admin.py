"""``paywave admin``: operators' commands.

``paywave admin create-merchant --name NAME [--currency USD] [--allow-raw-cards]`` creates a merchant (checked
as ``PATCH /merchant`` checks them) and prints its id alone, for ``paywave token --merchant``.  It may not
send card numbers (``payment_method.type`` ``card``) unless ``--allow-raw-cards``: it pays with tokens, PayPal
or Stripe PaymentMethods.

``paywave admin set-raw-cards MERCHANT_ID on|off`` allows or refuses a merchant's raw card numbers (PCI DSS
SAQ D), audited as ``merchant.updated``; ``POST /payments`` obeys within ``PAYWAVE_MERCHANT_CACHE_SECONDS``.

``paywave admin create-api-key --merchant ID --name NAME --mode test|live [--scope S ...]`` creates an API key
(every scope unless some are named), audited as the OS user running it, and prints its secret alone: the only
time it is shown.

``paywave admin create-user --merchant ID --email E --role owner --password-stdin`` makes a user of the
merchant with that role (the merchant's first owner, typically), the password read from stdin and checked as
``POST /users/accept`` checks it, and prints the user id alone.

``paywave admin resolve PAYMENT_ID --as succeeded|failed --reference REF [--reason TEXT]`` settles a
``requires_review`` payment of any merchant exactly as ``POST /admin/payments/{id}/resolve`` does
(same validation, event, audit event and cache update).

``paywave admin radar-relabel`` queues every fraud label kept in the database (``fraud_label``) to be
written to Redis again, after Redis lost its data: the ``*_seen_as_fraud`` signals come back once the ops
pool ran the jobs.  Prints how many labels were queued.

Every command acts as the operator ``cli:<OS user>`` in the audit trail (``merchant.created``,
``merchant.updated``, ``payment.settled``).
"""

import getpass
import sys


def add_parser(sub):
    """Add ``admin`` and its subcommands to the ``paywave`` parser's ``sub``. Returns the ``admin`` parser."""
    from store.states import SETTLED

    admin = sub.add_parser(
        "admin",
        help="operator actions: create a merchant, a user or an API key, allow raw cards, settle a payment "
        "that awaits review, restore fraud labels to Redis",
    )
    commands = admin.add_subparsers(dest="admin_command", required=True)
    create = commands.add_parser("create-merchant", help="create a merchant; prints its id alone")
    create.add_argument("--name", required=True, help="its display name")
    create.add_argument("--currency", default="USD", help="its default currency, for dashboards and reports")
    create.add_argument(
        "--allow-raw-cards",
        action="store_true",
        help="its payments may carry card numbers (PCI DSS SAQ D); default: tokens and gateway methods only",
    )
    raw = commands.add_parser("set-raw-cards", help="allow or refuse a merchant's raw card numbers (audited)")
    raw.add_argument("merchant_id")
    raw.add_argument("state", choices=["on", "off"])
    key = commands.add_parser("create-api-key", help="create an API key; prints its secret alone, once")
    key.add_argument("--merchant", required=True, help="the merchant's id")
    key.add_argument("--name", required=True, help="what the key is for")
    key.add_argument(
        "--mode", required=True, choices=["test", "live"], help="test keys never move real money"
    )
    key.add_argument(
        "--scope",
        dest="scopes",
        action="append",
        default=None,
        help="a scope the key holds (repeat it for several); default: every scope",
    )
    user = commands.add_parser("create-user", help="create a user of a merchant; prints its id alone")
    user.add_argument("--merchant", required=True, help="the merchant's id")
    user.add_argument("--email", required=True)
    user.add_argument("--role", required=True, help="owner, admin, developer, analyst or viewer")
    user.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="read the password from stdin (never argv)",
    )
    resolve = commands.add_parser("resolve", help="settle a requires_review payment (audited)")
    resolve.add_argument("payment_id")
    resolve.add_argument(
        "--as",
        dest="status",
        required=True,
        choices=list(SETTLED),
        help="succeeded: the gateway captured the money; failed: it moved none",
    )
    resolve.add_argument("--reference", required=True, help="the gateway's id, or a ticket, that proves it")
    resolve.add_argument("--reason", default=None)
    commands.add_parser(
        "radar-relabel", help="write every durable fraud label to Redis again (after Redis lost its data)"
    )
    return admin


def run(config, args):
    """Run ``args.admin_command`` against ``config``'s database (and cache).

    Raises:
      SystemExit: with the reason, when the input is invalid or the payment is unknown or not under review.
    """
    from store.db import open_database

    check, command = _COMMANDS[args.admin_command]
    checked = _checked(check, args)  # input refused opens nothing
    open_database(config.database_url)
    _as_operator()
    command(config, checked)


def _checked(check, args):
    """``check(args)``, its problems as SystemExit."""
    from ingress.errors import ValidationFailed

    try:
        return check(args)
    except ValidationFailed as exc:
        raise SystemExit("; ".join(f"{e['field']} {e['reason']}" for e in exc.errors)) from None


def _as_operator():
    """The audit trail's actor for what follows: the operator, named by the OS user running the command."""
    from store import audit

    audit.acting(audit.Actor("operator", f"cli:{getpass.getuser()}"))


def _create_merchant(config, checked):
    from store import merchants

    changes, raw_card_data = checked
    merchant = merchants.create(changes["display_name"], changes["default_currency"], raw_card_data)
    sys.stdout.write(merchant.id + "\n")


def _set_raw_cards(config, checked):
    from store import merchants
    from store.errors import NotFound

    merchant_id, allowed = checked
    try:
        body = merchants.set_raw_card_data(merchant_id, allowed)
    except NotFound:
        raise SystemExit(f"no merchant {merchant_id}") from None
    sys.stdout.write(body.decode() + "\n")


def _create_api_key(config, checked):
    from store import api_keys, audit
    from store.models import Merchant

    merchant_id, spec = checked
    if Merchant.get_or_none(Merchant.id == merchant_id) is None:  # a typo would make a key nobody can use
        raise SystemExit(f"no merchant {merchant_id} (paywave admin create-merchant makes one)")
    user = getpass.getuser()
    audit.acting(audit.Actor("operator", user))
    key = api_keys.create(merchant_id, spec, f"cli:{user}", config.api_key_digest_key)
    sys.stdout.write(key["secret"] + "\n")


def _user_fields(args):
    from ingress.resources import users

    body = {"email": args.email, "role": args.role}
    return args.merchant, users.invitation_fields(body), users.new_password(sys.stdin.readline().rstrip("\n"))


def _create_user(config, checked):
    from store import audit, users
    from store.errors import StateConflict
    from store.models import Merchant
    from store.passwords import Passwords
    from store.unit import Unit

    merchant_id, (email, role), password = checked
    if Merchant.get_or_none(Merchant.id == merchant_id) is None:
        raise SystemExit(f"no merchant {merchant_id} (paywave admin create-merchant creates one)")
    audit.acting(audit.Actor("operator", getpass.getuser()))
    try:
        with Unit():
            user = users.create(email, Passwords.from_config(config).hash(password))
            users.join(user, merchant_id, role)
    except StateConflict as exc:
        raise SystemExit(str(exc)) from None
    sys.stdout.write(user.id + "\n")


def _resolve(config, checked):
    from shared.cache import build_cache
    from store import payments
    from store.errors import NotFound, StateConflict
    from store.unit import Unit

    payment_id, (status, reference, reason) = checked
    try:
        with Unit(cache=build_cache(config)):
            _, body = payments.settle(payment_id, status, reference, reason)
    except NotFound:
        raise SystemExit(f"no payment {payment_id}") from None
    except StateConflict as exc:
        raise SystemExit(str(exc)) from None
    sys.stdout.write(body.decode() + "\n")


def _merchant_fields(args):
    from ingress import validation

    changes = validation.merchant_changes({"display_name": args.name, "default_currency": args.currency})
    return changes, args.allow_raw_cards


def _api_key_fields(args):
    from ingress import permissions
    from ingress.resources.api_keys import key_create

    operator = permissions.Principal(
        args.merchant, "operator", getpass.getuser(), frozenset(permissions.SCOPES)
    )
    body = {"name": args.name, "mode": args.mode, **({"scopes": args.scopes} if args.scopes else {})}
    return args.merchant, key_create(body, operator)


def _resolution(args):
    from ingress import validation

    body = {"status": args.status, "reference": args.reference, "reason": args.reason}
    return args.payment_id, validation.resolution(body)


def _radar_relabel(config, checked):
    from store import radar

    sys.stdout.write(f"{radar.relabel()}\n")


#: Subcommand -> (its input checked, ``f(args) -> checked``; the command, ``f(config, checked)``).
_COMMANDS = {
    "create-merchant": (_merchant_fields, _create_merchant),
    "create-api-key": (_api_key_fields, _create_api_key),
    "create-user": (_user_fields, _create_user),
    "resolve": (_resolution, _resolve),
    "set-raw-cards": (lambda args: (args.merchant_id, args.state == "on"), _set_raw_cards),
    "radar-relabel": (lambda args: None, _radar_relabel),
}
