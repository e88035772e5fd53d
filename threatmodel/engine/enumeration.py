"""How long guessing inputs takes before the classifier gives the rare answer.

With N plausible inputs of which k are the ones sought, trying inputs in random order without
repetition takes (N+1)/(k+1) queries on average to the first hit; the time is that over the
attacker's query rate: r per identity per day times m identities (or a local copy's speed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from threatmodel import locales
from threatmodel.language.numbers import format_number
from threatmodel.locales import _
from threatmodel.pack.models import EnumerationParameters, QuestionRoles

SECONDS_PER_DAY = 86_400


def estimate(
    values: Mapping[str, Any], params: EnumerationParameters, roles: QuestionRoles
) -> dict[str, Any]:
    """The figures of the enumeration estimate, and one sentence that states them."""
    space = float(values[roles.space_size])
    rate, identities, basis = _rate(values, params, roles)
    per_day = rate * identities
    queries = (space + 1) / (params.matches_sought + 1)
    days = queries / per_day
    motivation = str(values.get(roles.motivation, "high"))
    patience = params.patience_days.get(motivation, max(params.patience_days.values()))
    return {
        "space_size": space,
        "matches_sought": params.matches_sought,
        "queries_per_day_per_identity": rate,
        "identities": identities,
        "queries_per_day": per_day,
        "basis": basis,
        "expected_queries_to_first_hit": round(queries, 3),
        "expected_days_to_first_hit": _round(days),
        "days_to_try_all": _round(space / per_day),
        "adversary_patience_days": patience,
        "statement": _statement(space, per_day, basis, days, space / per_day),
    }


def level_for(days: float, patience: float) -> str:
    """Likelihood on the CNIL scale from time to a first hit against the adversary's patience."""
    ratio = days / patience
    if ratio <= 0.1:
        return "maximum"
    if ratio <= 1:
        return "significant"
    if ratio <= 10:
        return "limited"
    return "negligible"


def _rate(
    values: Mapping[str, Any], params: EnumerationParameters, roles: QuestionRoles
) -> tuple[float, float, str]:
    if values.get(roles.model_distributed) is True:
        rate = params.local_queries_per_second * SECONDS_PER_DAY
        return rate, 1.0, _("a local copy of the distributed model")
    cheap = values.get(roles.cheap_identities) is True
    identities = params.cheap_identity_multiplier if cheap else 1.0
    many = _(", from %(n)s cheap identities") % {"n": _num(identities)} if identities > 1 else ""
    rate = params.unlimited_queries_per_second * SECONDS_PER_DAY
    if values.get(roles.rate_limited) is True:
        # A limit above what one actor gets with no limit at all does not speed them up.
        limit = min(float(values[roles.queries_per_day]), rate)
        return limit, identities, _("%(n)s queries a day per actor") % {"n": _num(limit)} + many
    speed = _num(params.unlimited_queries_per_second)
    basis = _("no per-actor limit, about %(n)s queries a second each") % {"n": speed}
    return rate, identities, basis + many


def _round(days: float) -> float:
    return float(f"{days:.3g}")


def _statement(space: float, per_day: float, basis: str, days: float, all_days: float) -> str:
    return _(
        "At %(rate)s queries a day (%(basis)s), all %(space)s plausible inputs are tried in "
        "%(all)s; the first hit is expected after %(first)s."
    ) % {
        "rate": _num(per_day),
        "basis": basis,
        "space": _num(space),
        "all": _duration(all_days),
        "first": _duration(days),
    }


def _num(value: float) -> str:
    return locales.number(format_number(value))


def _duration(days: float) -> str:
    if days < 1 / 24:
        return _("%(n)s minutes") % {"n": _num(days * 1440)}
    if days < 1:
        return _("%(n)s hours") % {"n": _num(days * 24)}
    if days < 730:
        return _("%(n)s days") % {"n": _num(days)}
    return _("%(n)s years") % {"n": _num(days / 365)}
