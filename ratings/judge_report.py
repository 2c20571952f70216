"""Machine judges held against the people: what the agreement dashboard's "Machine judges" section shows.

Per criterion and machine rater, the people's labels and the judge's are read in bulk (ratings_frame with
who="humans" and who="machines", whatever the campaign's pool), the people's final label per item is worked out
(the adjudicated value where an adjudicator decided, else their majority vote or, for numbers, their mean; a tie
or an item marked ambiguous has none), and ratings.judges compares them: the judge against each person beside
that person against the others, against the final label, the pool's alpha with the judge standing in for one
person, and the alternative annotator test. The results are plain frozen dataclasses, cached with the rest of
the agreement report (ratings.reports), whose fingerprint changes with every machine rater's label.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from annotate.criteria import Criterion
from annotate.models import Campaign, MachineRater
from ratings import judges
from ratings.models import Adjudication
from ratings.selectors import ALPHA_COLUMNS, ratings_frame, usernames

# The test's margin: how much worse than a person the judge may be and still replace one. Calderon, Reichart
# and Dror (2025) suggest 0.2 for expert raters, 0.15 for skilled ones (trained raters, the people a campaign
# usually invites) and 0.1 for crowd workers.
EPSILON = judges.EPSILON_SKILLED
# The false discovery rate of the Benjamini-Yekutieli correction over the people.
Q = 0.05


@dataclass(frozen=True)
class Figure:
    """A statistic with its 95% bootstrap interval and the items it rests on; None where undefined."""

    value: float | None
    ci_low: float | None
    ci_high: float | None
    n_items: int

    @property
    def defined(self) -> bool:
        """The statistic has a value."""
        return self.value is not None

    @property
    def has_interval(self) -> bool:
        """Both ends of the interval are defined."""
        return self.ci_low is not None and self.ci_high is not None


@dataclass(frozen=True)
class JudgeHumanRow:
    """The judge's agreement with one person, beside that person's agreement with the other people."""

    rater: str
    judge: Figure
    peers: Figure


@dataclass(frozen=True)
class AltTestRow:
    """One left-out person in the alternative annotator test."""

    rater: str
    n_items: int
    judge_win_rate: float | None
    human_win_rate: float | None
    p_value: float | None
    rejected: bool


@dataclass(frozen=True)
class AltTest:
    """The alternative annotator test's outcome, as the page and the API give it."""

    passed: bool
    verdict: str
    epsilon: float
    q: float
    winning_rate: float
    advantage_probability: float | None
    per_rater: tuple[AltTestRow, ...]
    excluded: tuple[str, ...] = ()


@dataclass(frozen=True)
class JudgeSection:
    """One machine rater on one criterion: status "ok", or "error" with why the comparison could not be made."""

    criterion_key: str
    machine: str
    model: str
    version: str
    status: str
    message: str
    n_labels: int
    n_items: int = 0
    n_humans: int = 0
    level: str = ""
    with_each_rater: tuple[JudgeHumanRow, ...] = ()
    with_final: Figure | None = None
    pool_alpha: Figure | None = None
    pool_alpha_with_judge: Figure | None = None
    alt_test: AltTest | None = None
    alt_test_note: str = ""
    # passed, failed or untested (the alternative annotator test), and the verdict in one plain sentence.
    outcome: str = "untested"
    headline: str = ""


def _concluded(section: JudgeSection) -> JudgeSection:
    """The section with its outcome (passed, failed or untested) and its verdict in one plain sentence."""
    name = section.machine
    if section.status != "ok":
        return replace(section, outcome="untested", headline=f"{name} could not be compared with the raters here.")
    if section.alt_test is None:
        headline = f"{name} could not be tested as a replacement for a rater on this criterion."
        return replace(section, outcome="untested", headline=headline)
    if section.alt_test.passed:
        return replace(section, outcome="passed", headline=f"{name} can replace a rater on this criterion.")
    return replace(section, outcome="failed", headline=f"{name} cannot replace a rater on this criterion.")


def _number(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) or math.isinf(out) else out


def _figure(interval: judges.Interval | None) -> Figure | None:
    if interval is None:
        return None
    return Figure(_number(interval.value), _number(interval.ci_low), _number(interval.ci_high), interval.n_items)


def _label_text(value: Any) -> str:
    return ", ".join(value) if isinstance(value, tuple) else str(value)


def _work_values(frame: pd.DataFrame, criterion: Criterion) -> pd.DataFrame:
    """Label sets compared as exact sets (one nominal label each), as the dashboard's nominal figures do."""
    if criterion.is_multi_label:
        return frame.assign(value=frame["value"].map(_label_text))
    return frame


def _level(criterion: Criterion) -> tuple[str, list | None]:
    if criterion.is_multi_label:
        return "nominal", None
    return criterion.agreement_level, criterion.agreement_domain


def _decided(criterion: Criterion, value: Any) -> Any:
    """An adjudicated value (as stored) in the form the label frame holds it."""
    if criterion.is_multi_label:
        return _label_text(tuple(sorted({str(v) for v in value}))) if isinstance(value, list) else None
    if criterion.value_kind == "number":
        return _number(value)
    return value


def human_final_labels(humans: pd.DataFrame, criterion: Criterion, decisions: Mapping[int, Adjudication]) -> pd.Series:
    """The people's final label per item: adjudicated where decided, else their majority (a tie: none) or mean.

    An item an adjudicator marked genuinely ambiguous has none.
    """
    if humans.empty:
        final = pd.Series(dtype=object)
    elif criterion.value_kind == "number":
        final = humans.groupby("item")["value"].mean()
    else:
        counts = humans.groupby(["item", "value"], sort=False).size()
        top = counts.groupby(level=0).transform("max")
        winners = counts[counts == top].reset_index()
        winners = winners[~winners["item"].duplicated(keep=False)]
        final = pd.Series(winners["value"].to_numpy(dtype=object), index=winners["item"].to_numpy())
    final = final.astype(object)
    for item, decision in decisions.items():
        if decision.outcome == Adjudication.Outcome.FINAL:
            value = _decided(criterion, decision.value)
            if value is not None:
                final.loc[item] = value
        elif decision.outcome == Adjudication.Outcome.AMBIGUOUS:
            final = final.drop(index=item, errors="ignore")
    return final


def _section(
    criterion: Criterion,
    machine: MachineRater,
    humans: pd.DataFrame,
    mine: pd.DataFrame,
    final: pd.Series,
    names: Mapping[int, str],
    n_boot: int,
) -> JudgeSection:
    base = JudgeSection(
        criterion_key=criterion.key,
        machine=machine.name,
        model=machine.model,
        version=machine.version,
        status="error",
        message="",
        n_labels=len(mine),
    )
    if humans.empty:
        return replace(base, message="No rater has labelled this criterion yet: there is no one to compare with.")
    level, domain = _level(criterion)
    labels = pd.concat([humans, mine], ignore_index=True)
    try:
        report = judges.judge_report(
            labels,
            machine.user_id,
            level,
            value_domain=domain,
            final=final.astype(float) if criterion.value_kind == "number" else final,
            epsilon=EPSILON,
            q=Q,
            n_boot=n_boot,
        )
    except (ValueError, TypeError, KeyError, ZeroDivisionError) as exc:
        return replace(base, message=f"The comparison could not be made: {exc}.")
    if report.n_items == 0:
        return replace(base, message="No item was labelled by both this machine rater and a rater.")

    def name(rater: Hashable) -> str:
        return names.get(int(rater), f"user {rater}")

    return replace(
        base,
        status="ok",
        n_items=report.n_items,
        n_humans=report.n_humans,
        level=report.level,
        with_each_rater=tuple(
            JudgeHumanRow(name(row.human), _figure(row.judge_agreement), _figure(row.human_agreement))
            for row in sorted(report.with_each_human, key=lambda r: name(r.human))
        ),
        with_final=_figure(report.with_final),
        pool_alpha=_figure(report.pool_alpha),
        pool_alpha_with_judge=_figure(report.pool_alpha_with_judge),
        alt_test=_alt_test(report.alt_test, name),
        alt_test_note=report.alt_test_note,
    )


def _alt_test(result: judges.AltTestResult | None, name: Any) -> AltTest | None:
    if result is None:
        return None
    return AltTest(
        passed=result.passed,
        verdict=result.verdict,
        epsilon=result.epsilon,
        q=result.q,
        winning_rate=result.winning_rate,
        advantage_probability=_number(result.advantage_probability),
        per_rater=tuple(
            sorted(
                (
                    AltTestRow(
                        rater=name(row.human),
                        n_items=row.n_items,
                        judge_win_rate=_number(row.judge_win_rate),
                        human_win_rate=_number(row.human_win_rate),
                        p_value=_number(row.p_value),
                        rejected=row.rejected,
                    )
                    for row in result.per_human
                ),
                key=lambda r: r.rater,
            )
        ),
        excluded=tuple(sorted(name(h) for h in result.excluded)),
    )


def _decisions(campaign: Campaign, criterion_key: str) -> dict[int, Adjudication]:
    rows = Adjudication.objects.filter(campaign=campaign, is_current=True, criterion_key=criterion_key).only(
        "campaign_item_id", "outcome", "value"
    )
    return {a.campaign_item_id: a for a in rows}


def criterion_judges(
    campaign: Campaign, criterion: Criterion, machines: list[MachineRater], *, n_boot: int = 1000
) -> tuple[JudgeSection, ...]:
    """Every machine rater that labelled the criterion, held against the people (two bulk reads of labels)."""
    judged = ratings_frame(campaign, criterion.key, criterion=criterion, columns=ALPHA_COLUMNS, who="machines")
    if judged.empty:
        return ()
    humans = _work_values(
        ratings_frame(campaign, criterion.key, criterion=criterion, columns=ALPHA_COLUMNS, who="humans"), criterion
    )
    judged = _work_values(judged, criterion)
    final = human_final_labels(humans, criterion, _decisions(campaign, criterion.key))
    names = usernames(int(r) for r in pd.unique(humans["rater"]))
    by_user = {m.user_id: m for m in machines}
    sections = []
    for user_id, mine in judged.groupby("rater", sort=False):
        machine = by_user.get(int(user_id))
        if machine is not None:
            sections.append(_concluded(_section(criterion, machine, humans, mine, final, names, n_boot)))
    return tuple(sorted(sections, key=lambda s: s.machine))


def campaign_judges(
    campaign: Campaign, criteria: Iterable[Criterion], *, n_boot: int = 1000
) -> dict[str, tuple[JudgeSection, ...]]:
    """The "Machine judges" sections per criterion key; empty (one query) when the campaign has no machine rater."""
    machines = list(MachineRater.objects.filter(campaign=campaign).order_by("name"))
    if not machines:
        return {}
    return {c.key: criterion_judges(campaign, c, machines, n_boot=n_boot) for c in criteria}
