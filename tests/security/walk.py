"""Walking the URL map as each person of tests/world.py: one request per route, method, person.

`outcome(response)` names what happened in the matrix's words:

- "200", "400", "404", ...: that status code;
- "in": a redirect to the sign-in page (anonymous visitors on signed-in pages);
- "302": any other redirect (a form that saved and moved on, a download handed to /files/);
- "ok": used in the table only, for state-changing requests of someone allowed: any answer
  that is not a refusal ("in", 401, 403, 404, 405) nor a server error. Which of 200/302/400/409
  an empty form gets is the feature's own tests' business; the matrix is about who may.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

from lms.extensions import limiter

REFUSALS = {"in", "401", "403", "404", "405"}
#: Routes that end the session: walked last, and the person signs in again after.
SIGN_OUTS = ("auth.signout", "auth.signout_everywhere")


def url_for_rule(rule, values: dict[str, str]) -> str:
    """The rule's path with raw (unconverted) values, so converters see exactly these."""
    def value(match: re.Match) -> str:
        name = match.group(2)
        assert name in values, (f"{rule.rule}: give <{name}> a value in tests/world.py "
                                f"(World.values)")
        return quote(values[name], safe="/%")

    return re.sub(r"<(?:(\w+):)?(\w+)>", value, rule.rule)


def outcome(response) -> str:
    code = response.status_code
    if code in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        return "in" if "/account/signin" in location else "302"
    return str(code)


def matches(expected: str, got: str) -> bool:
    if expected == "ok":
        return got not in REFUSALS and not got.startswith("5")
    return expected == got


def routes(app) -> Iterator[tuple[str, object, str]]:
    """(\"METHOD endpoint\", rule, method) for every route; sign-outs last."""
    rules = sorted(app.url_map.iter_rules(),
                   key=lambda r: (r.endpoint in SIGN_OUTS, r.rule))
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield f"{method} {rule.endpoint}", rule, method


def walk(app, world, keys) -> Iterator[tuple[str, str, str, str]]:
    """(route key, person, url, outcome) for every route and person."""
    for key, rule, method in routes(app):
        url = url_for_rule(rule, world.values_for(rule))
        for person in keys:
            limiter.reset()  # the walk is many requests from one address
            response = world.clients[person].open(url, method=method)
            yield key, person, url, outcome(response)
            if rule.endpoint in world.after:
                world.after[rule.endpoint]()
            if rule.endpoint in SIGN_OUTS:
                world.clients[person] = world.signed_in(person)
