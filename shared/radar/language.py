"""The rule language: Radar-like predicates over a payment's signals, parsed by a ``lark`` grammar (never
``eval``) into a small tree, type-checked against ``shared.radar.attributes.CATALOGUE`` and the merchant's
value lists, and evaluated against a payment's signals.

    :card_country: in ('US', 'CA') and :amount_in_usd: > 50000
    :email: in @blocked_emails or not :is_new_card:
    :ip_decline_count_10m: >= 5

Attributes are ``:name:``; literals are integers, strings in single or double quotes, ``true``/``false``;
comparisons ``= != < <= > >=`` (ordering on numbers only); ``and``, ``or``, ``not`` (in any case), with
parentheses; ``in @alias`` (a value list) and ``in ('a', 'b')`` (literals), either as ``not in``; a boolean
attribute alone is a predicate.  Strings compare in any case; a value list's items compare as the list's
item type normalizes them (``attributes.normalize``).

Missing signals: a comparison or membership over an attribute the signals lack is *unknown*; ``and``, ``or``
and ``not`` follow three-valued logic (``false and unknown`` is false, ``true or unknown`` is true, ``not
unknown`` is unknown), and a predicate that ends unknown does not match.  ``Outcome.missing`` names the
attributes that were missing, so a degraded evaluation can say why.
"""

import dataclasses
import functools
from collections.abc import Collection, Iterator, Mapping

import lark
from lark.visitors import Transformer_NonRecursive

from shared.radar.attributes import BOOLEAN, CATALOGUE, NUMBER, STRING, normalize

#: The longest predicate accepted, and the deepest nesting of ``and``/``or``/``not``/membership.
MAX_LENGTH = 2000
MAX_DEPTH = 32

_GRAMMAR = r"""
?start: or_
?or_: and_ (_OR and_)*
?and_: not_ (_AND not_)*
?not_: NOT not_ -> negation
     | atom
?atom: operand COMPARATOR operand -> comparison
     | ATTRIBUTE NOT? _IN LIST -> in_list
     | ATTRIBUTE NOT? _IN "(" literal ("," literal)* ")" -> in_set
     | ATTRIBUTE -> truthy
     | "(" or_ ")"
?operand: ATTRIBUTE | literal
?literal: NUMBER | STRING | TRUE | FALSE

ATTRIBUTE: /:[A-Za-z0-9_]+:/
LIST: /@[A-Za-z0-9_]+/
NUMBER: /-?[0-9]+/
STRING: /'[^'\n]*'|"[^"\n]*"/
COMPARATOR: "<=" | ">=" | "!=" | "=" | "<" | ">"
TRUE.2: /true(?![A-Za-z0-9_])/i
FALSE.2: /false(?![A-Za-z0-9_])/i
_AND.2: /and(?![A-Za-z0-9_])/i
_OR.2: /or(?![A-Za-z0-9_])/i
NOT.2: /not(?![A-Za-z0-9_])/i
_IN.2: /in(?![A-Za-z0-9_])/i
%ignore /[ \t\r\n]+/
"""


@functools.cache
def _parser() -> lark.Lark:
    """Built on first use (about 0.1 s): a process that never parses a predicate never pays for it."""
    return lark.Lark(_GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)


#: Terminal -> how an error names what was expected there.
_EXPECTED = {
    "ATTRIBUTE": "an attribute (:name:)",
    "LIST": "a value list (@alias)",
    "NUMBER": "a number",
    "STRING": "a string",
    "COMPARATOR": "a comparison (= != < <= > >=)",
    "TRUE": "true",
    "FALSE": "false",
    "_AND": "and",
    "_OR": "or",
    "NOT": "not",
    "_IN": "in",
    "LPAR": "(",
    "RPAR": ")",
    "COMMA": ",",
    "$END": "the end",
}


class RuleError(Exception):
    """A predicate that does not parse or does not type-check.

    Parameters:
      message: What is wrong, for a person.
      line, column: Where, 1-based.
    """

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{message} (line {line}, column {column})")
        self.message = message
        self.line = line
        self.column = column


@dataclasses.dataclass(frozen=True)
class Attr:
    name: str
    line: int
    column: int


@dataclasses.dataclass(frozen=True)
class Const:
    value: int | str | bool
    line: int
    column: int


@dataclasses.dataclass(frozen=True)
class Compare:
    op: str
    left: Attr | Const
    right: Attr | Const


@dataclasses.dataclass(frozen=True)
class InList:
    """``:attr: in @alias`` (``negated``: ``not in``)."""

    attr: Attr
    alias: str
    negated: bool
    line: int
    column: int


@dataclasses.dataclass(frozen=True)
class InSet:
    """``:attr: in ('a', 'b')`` (``negated``: ``not in``)."""

    attr: Attr
    values: tuple[Const, ...]
    negated: bool


@dataclasses.dataclass(frozen=True)
class Truthy:
    """A boolean attribute alone."""

    attr: Attr


@dataclasses.dataclass(frozen=True)
class Not:
    item: "Node"


@dataclasses.dataclass(frozen=True)
class All:
    items: tuple["Node", ...]


@dataclasses.dataclass(frozen=True)
class AnyOf:
    items: tuple["Node", ...]


Node = Compare | InList | InSet | Truthy | Not | All | AnyOf


def _const(token: lark.Token) -> Const:
    text = str(token)
    value: int | str | bool
    if token.type == "NUMBER":
        value = int(text)
    elif token.type == "STRING":
        value = text[1:-1]
    else:
        value = token.type == "TRUE"
    return Const(value, token.line or 1, token.column or 1)


def _operand(token: lark.Token) -> Attr | Const:
    return _attr(token) if token.type == "ATTRIBUTE" else _const(token)


def _attr(token: lark.Token) -> Attr:
    return Attr(str(token)[1:-1], token.line or 1, token.column or 1)


class _Tree(Transformer_NonRecursive):
    """lark's tree -> the nodes above (without recursion: a deep predicate cannot exhaust the stack)."""

    def or_(self, items: list[Node]) -> Node:
        return AnyOf(tuple(items))

    def and_(self, items: list[Node]) -> Node:
        return All(tuple(items))

    def negation(self, items: list) -> Node:
        return Not(items[1])

    def comparison(self, items: list) -> Node:
        left, op, right = items
        return Compare(str(op), _operand(left), _operand(right))

    def in_list(self, items: list) -> Node:
        attr, *negated, alias = items
        return InList(_attr(attr), str(alias)[1:], bool(negated), alias.line, alias.column)

    def in_set(self, items: list) -> Node:
        attr, *rest = items
        negated = rest[0].type == "NOT"
        return InSet(_attr(attr), tuple(_const(value) for value in rest[negated:]), negated)

    def truthy(self, items: list) -> Node:
        return Truthy(_attr(items[0]))


@functools.lru_cache(maxsize=4096)  # about 1 ms a parse; the trees are immutable, so sharing them is safe
def parse(text: str) -> Node:
    """Parse a predicate (no type check: ``compile_``); the same text is parsed once per process.

    Raises:
      RuleError: it does not parse, is longer than ``MAX_LENGTH`` or nests deeper than ``MAX_DEPTH``.
    """
    if len(text) > MAX_LENGTH:
        raise RuleError(f"a predicate is at most {MAX_LENGTH} characters", 1, MAX_LENGTH + 1)
    if not text.strip():
        raise RuleError("the predicate is empty", 1, 1)
    try:
        tree = _parser().parse(text)
    except lark.UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    node: Node = _Tree().transform(tree)
    _check_depth(node)
    return node


def _syntax_error(text: str, exc: lark.UnexpectedInput) -> RuleError:
    if isinstance(exc, lark.UnexpectedToken) and exc.token.type != "$END":
        expected = sorted({_EXPECTED.get(name, name) for name in exc.expected})
        return RuleError(
            f"unexpected {str(exc.token)!r}, expected {' or '.join(expected)}", exc.line, exc.column
        )
    if isinstance(exc, lark.UnexpectedCharacters):
        return RuleError(f"unexpected character {exc.char!r}", exc.line, exc.column)
    lines = text.split("\n")  # the predicate ended too early: point just past its end
    return RuleError("the predicate ends too early", len(lines), len(lines[-1]) + 1)


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, All | AnyOf):
        return node.items
    if isinstance(node, Not):
        return (node.item,)
    return ()


def _check_depth(node: Node) -> None:
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_DEPTH:
            first = next(attributes_in(current), None)
            raise RuleError(
                f"the predicate nests deeper than {MAX_DEPTH} levels",
                first.line if first else 1,
                first.column if first else 1,
            )
        stack.extend((child, depth + 1) for child in _children(current))


def attributes_in(node: Node) -> Iterator[Attr]:
    """Every attribute ``node`` names, in no particular order."""
    stack = [node]
    while stack:
        current = stack.pop()
        stack.extend(_children(current))
        if isinstance(current, Compare):
            yield from (side for side in (current.left, current.right) if isinstance(side, Attr))
        elif isinstance(current, InList | InSet | Truthy):
            yield current.attr


def aliases_in(node: Node) -> set[str]:
    """The value lists ``node`` names."""
    stack, found = [node], set()
    while stack:
        current = stack.pop()
        stack.extend(_children(current))
        if isinstance(current, InList):
            found.add(current.alias)
    return found


def requires_counters(node: Node) -> bool:
    """Whether ``node`` names a velocity attribute (read from Redis): without the counters it cannot match
    as written, so a degraded evaluation says so."""
    return any(CATALOGUE[attr.name].counter for attr in attributes_in(node) if attr.name in CATALOGUE)


def _type_of(side: Attr | Const) -> str:
    if isinstance(side, Attr):
        return CATALOGUE[side.name].type
    if isinstance(side.value, bool):
        return BOOLEAN
    return NUMBER if isinstance(side.value, int) else STRING


def _position(side: Attr | Const) -> tuple[int, int]:
    return side.line, side.column


def check(node: Node, lists: Mapping[str, str]) -> None:
    """Type-check ``node``.

    Parameters:
      lists: The merchant's value lists, alias -> item type.

    Raises:
      RuleError: an unknown attribute or list, a comparison of different types, an ordering of non-numbers,
        a non-boolean attribute alone, a list of another item type, a literal set of another type.
    """
    for attr in attributes_in(node):
        if attr.name not in CATALOGUE:
            raise RuleError(f"unknown attribute :{attr.name}:", attr.line, attr.column)
    stack = [node]
    while stack:
        current = stack.pop()
        stack.extend(_children(current))
        if isinstance(current, Compare):
            _check_compare(current)
        elif isinstance(current, Truthy) and CATALOGUE[current.attr.name].type != BOOLEAN:
            attr = current.attr
            kind = CATALOGUE[attr.name].type
            raise RuleError(f":{attr.name}: is a {kind}, not a predicate: compare it", attr.line, attr.column)
        elif isinstance(current, InList):
            _check_list(current, lists)
        elif isinstance(current, InSet):
            wanted = CATALOGUE[current.attr.name].type
            for value in current.values:
                if _type_of(value) != wanted:
                    raise RuleError(f":{current.attr.name}: is a {wanted}", value.line, value.column)


def _check_compare(node: Compare) -> None:
    left, right = _type_of(node.left), _type_of(node.right)
    if left != right:
        raise RuleError(f"cannot compare a {left} with a {right}", *_position(node.right))
    if node.op not in ("=", "!=") and left != NUMBER:
        raise RuleError(f"{node.op} compares numbers only, not a {left}", *_position(node.left))


def _check_list(node: InList, lists: Mapping[str, str]) -> None:
    if node.alias not in lists:
        raise RuleError(f"no value list @{node.alias}", node.line, node.column)
    wanted = CATALOGUE[node.attr.name].list_type
    if wanted != lists[node.alias]:
        reason = f"holds {lists[node.alias]} items" if wanted else "cannot be tested against a value list"
        where = f"@{node.alias} {reason}" if wanted else f":{node.attr.name}: {reason}"
        raise RuleError(where, node.line, node.column)


def compile_(text: str, lists: Mapping[str, str]) -> Node:
    """``parse`` then ``check``: a predicate ready to evaluate.

    Raises:
      RuleError.
    """
    node = parse(text)
    check(node, lists)
    return node


@dataclasses.dataclass(frozen=True)
class Outcome:
    """Parameters:
    matched: The predicate held (an unknown result does not match).
    missing: The attributes it needed that the signals lacked.
    """

    matched: bool
    missing: frozenset[str]


def evaluate(node: Node, signals: Mapping[str, object], lists: Mapping[str, Collection[str]]) -> Outcome:
    """Evaluate a checked predicate.

    Parameters:
      signals: Attribute name -> value (absent or None: missing).
      lists: Alias -> the list's items as stored (normalized by their item type); an alias absent is empty.
    """
    missing: set[str] = set()
    result = _Evaluation(signals, lists, missing).value(node)
    return Outcome(result is True, frozenset(missing))


class _Evaluation:
    def __init__(
        self, signals: Mapping[str, object], lists: Mapping[str, Collection[str]], missing: set[str]
    ) -> None:
        self.signals = signals
        self.lists = lists
        self.missing = missing

    def read(self, side: Attr | Const) -> object:
        if isinstance(side, Const):
            return side.value
        value = self.signals.get(side.name)
        if value is None:
            self.missing.add(side.name)
        return value

    def value(self, node: Node) -> bool | None:  # noqa: C901 - one branch per node type
        """True, False, or None (unknown)."""
        if isinstance(node, All):
            results = [self.value(item) for item in node.items]  # all of them: every missing one is named
            return False if False in results else (None if None in results else True)
        if isinstance(node, AnyOf):
            results = [self.value(item) for item in node.items]
            return True if True in results else (None if None in results else False)
        if isinstance(node, Not):
            inner = self.value(node.item)
            return None if inner is None else not inner
        if isinstance(node, Truthy):
            found = self.read(node.attr)
            return None if found is None else bool(found)
        if isinstance(node, Compare):
            return _compare(node.op, self.read(node.left), self.read(node.right))
        found = self.read(node.attr)
        if found is None:
            return None
        if isinstance(node, InList):
            item_type = CATALOGUE[node.attr.name].list_type
            try:
                inside = normalize(item_type or "", str(found)) in self.lists.get(node.alias, ())
            except ValueError:  # a signal no item of the list can equal
                inside = False
        else:
            inside = _folded(found) in {_folded(value.value) for value in node.values}
        return inside != node.negated


def _folded(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


def _compare(op: str, left: object, right: object) -> bool | None:
    if left is None or right is None:
        return None
    left, right = _folded(left), _folded(right)
    if op == "=":
        return left == right
    if op == "!=":
        return left != right
    if not isinstance(left, int) or not isinstance(right, int):
        return None  # a signal of the wrong type: unknown, never an exception
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
