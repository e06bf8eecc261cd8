"""The managers' charts (matplotlib, PNG): tickets per day by kind, the KPIs against their
targets, complaint causes, the time to each step against its limit, and the technicians'
league table.

Made for Telegram's photo size (1280 x 720 at most): one chart per picture, long labels
on the vertical axis with room left for them, numbers written at the end of each bar
rather than inside it. Chinese is set in the desk's CJK font, the one the service reports
embed (bot.report.FONT_CANDIDATES or ``[reports] font``). The picture has its own light
background, so it reads the same in Telegram's light and dark themes; the colours are
the Okabe-Ito palette, told apart by people with colour blindness too.

Rendering is CPU work: callers run :func:`render_charts` in a thread.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: pictures only

from matplotlib import font_manager
from matplotlib.figure import Figure

from dispatch.complaints import CAUSE_LABELS, Cause
from dispatch.kpis import STEP_TIMES, TARGETS, percent_param
from dispatch.labels import kind_label
from dispatch.messages import N_, Msg, Number, Param
from dispatch.model import TicketKind
from dispatch.policy import DeskPolicy
from dispatch.stats import DeskStats

__all__ = ["CHART_NAMES", "Chart", "chart_font", "render_charts"]

WIDTH, HEIGHT, DPI = 8.0, 4.5, 160  # 1280 x 720 pixels
BACKGROUND, INK, GRID = "#ffffff", "#1f2933", "#d9dee3"
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
GOOD, BAD, TARGET = "#009E73", "#D55E00", "#1f2933"
CHART_NAMES = ("per_day", "kpis", "causes", "steps", "technicians")

Text = Callable[..., str]  # (msgid, **params) -> the text in the reader's language


def chart_font(configured: str | None, candidates: tuple[str, ...]) -> str | None:
    """Make the desk's CJK font the charts' first font (one for the whole process, as
    the service reports have); its family name, or None when none is installed."""
    for path in ([configured] if configured else []) + list(candidates):
        if path and Path(path).is_file():
            font_manager.fontManager.addfont(path)
            name = str(font_manager.FontProperties(fname=path).get_name())
            matplotlib.rcParams["font.family"] = "sans-serif"
            matplotlib.rcParams["font.sans-serif"] = [name, "DejaVu Sans"]
            return name
    return None


def _figure() -> tuple[Figure, Any]:
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, facecolor=BACKGROUND)
    axes = figure.add_subplot()
    axes.set_facecolor(BACKGROUND)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(GRID)
    axes.tick_params(colors=INK, labelsize=9)
    axes.grid(axis="x", color=GRID, linewidth=0.6)
    axes.set_axisbelow(True)
    return figure, axes


def _em(text: str) -> float:
    """A label's width in ems: a Chinese character is one, a Latin letter about half."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.58 for c in text)


def _png(figure: Figure) -> bytes:
    """The picture, its margins set from its labels' lengths: matplotlib's tight layout
    would draw every chart twice to measure them, half the time it takes."""
    axes = figure.axes[0]
    labels = [label.get_text() for label in axes.get_yticklabels()]
    em_pixels = 9 / 72 * DPI  # the tick labels' size
    widest = max((_em(label) for label in labels), default=2.0) * em_pixels
    left = min(0.45, (widest + 40) / (WIDTH * DPI))
    bottom = 0.16 if axes.get_xlabel() else 0.1
    figure.subplots_adjust(left=left, right=0.97, top=0.88, bottom=bottom)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor=BACKGROUND)
    return buffer.getvalue()


def _title(axes: Any, text: str) -> None:
    axes.set_title(text, color=INK, fontsize=12, loc="left", pad=12)


def _nothing(axes: Any, text_of: Text) -> None:
    axes.text(
        0.5,
        0.5,
        text_of(N_("Nothing to show for this period")),
        ha="center",
        va="center",
        color=INK,
    )
    axes.set_xticks([])
    axes.set_yticks([])


def _per_day(stats: DeskStats, text_of: Text, title: Param) -> tuple[bytes, dict[str, float]]:
    figure, axes = _figure()
    data: dict[str, float] = {}
    _title(axes, text_of(N_("Requests registered per day, {period}"), period=title))
    start, end = stats.period.start.date(), stats.period.end.date()
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    per_day = stats.detail.per_day
    if not per_day:
        _nothing(axes, text_of)
        return _png(figure), data
    bottom = [0] * len(days)
    positions = list(range(len(days)))
    for colour, kind in zip(PALETTE, TicketKind, strict=False):
        counts = [per_day.get((d.isoformat(), kind.value), 0) for d in days]
        if not any(counts):
            continue
        data[kind.value] = sum(counts)
        axes.bar(
            positions,
            counts,
            bottom=bottom,
            color=colour,
            width=0.8,
            label=text_of(kind_label(kind)),
        )
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    step = max(1, len(days) // 10)  # at most about ten dates under the axis
    ticks = [text_of(N_("{month}/{day}"), month=d.month, day=d.day) for d in days[::step]]
    axes.set_xticks(positions[::step], ticks)
    axes.grid(axis="y", color=GRID, linewidth=0.6)
    axes.grid(axis="x", visible=False)
    axes.legend(frameon=False, fontsize=8, labelcolor=INK, loc="upper left", ncols=5)
    axes.set_ylim(0, max(bottom) * 1.25 + 1)  # room for the legend above the bars
    return _png(figure), data


def _kpis(stats: DeskStats, text_of: Text, title: Param) -> tuple[bytes, dict[str, float]]:
    figure, axes = _figure()
    data: dict[str, float] = {}
    _title(axes, text_of(N_("KPIs against their targets, {period}"), period=title))
    counts = stats.counts
    rows = [
        (text_of(N_("On-time rate")), counts.on_time, TARGETS["on_time"], False),
        (text_of(N_("Satisfaction")), counts.satisfaction, TARGETS["satisfaction"], False),
        (
            text_of(N_("Complaint rate attributable to service")),
            counts.complaint_rate,
            TARGETS["complaint_rate"],
            True,
        ),
    ]
    positions = list(range(len(rows)))[::-1]
    for y, (label, value, target, lower) in zip(positions, rows, strict=True):
        if value is not None:
            data[label] = value
        met = value is not None and (value < target if lower else value >= target)
        axes.barh(y, value or 0, color=GOOD if met else BAD, height=0.55)
        axes.plot([target, target], [y - 0.38, y + 0.38], color=TARGET, linewidth=2)
        shown = (
            text_of(N_("no data"))
            if value is None
            else text_of(N_("{value} %"), value=Number(value))
        )
        # After the bar, or after the target's mark when the mark stands just beyond it.
        end = max(value or 0, target) if target - (value or 0) < 15 else value or 0
        axes.text(end + 1.5, y, shown, va="center", color=INK, fontsize=9)
    axes.set_yticks(positions, [label for label, *_ in rows])
    axes.set_xlim(0, 112)
    axes.set_xlabel(text_of(N_("% (the black mark is the target)")), color=INK, fontsize=9)
    return _png(figure), data


def _causes(stats: DeskStats, text_of: Text, title: Param) -> tuple[bytes, dict[str, float]]:
    figure, axes = _figure()
    data: dict[str, float] = {}
    _title(axes, text_of(N_("Complaints by cause, {period}"), period=title))
    causes = stats.detail.causes
    if not causes:
        _nothing(axes, text_of)
        return _png(figure), data
    order = [c.value for c in Cause] + ["unclassified"]
    names = [c for c in order if c in causes]
    known = {c.value for c in Cause}
    labels = [
        text_of(CAUSE_LABELS[Cause(c)]) if c in known else text_of(N_("Not classified yet"))
        for c in names
    ]
    values = [causes[c] for c in names]
    data.update({c: causes[c] for c in names})
    positions = list(range(len(names)))[::-1]
    axes.barh(positions, values, color=PALETTE[: len(names)], height=0.6)
    for y, value in zip(positions, values, strict=True):
        axes.text(value + max(values) * 0.02, y, str(value), va="center", color=INK, fontsize=9)
    axes.set_yticks(positions, labels)
    axes.set_xlim(0, max(values) * 1.15 + 0.5)
    return _png(figure), data


def _steps(
    stats: DeskStats, text_of: Text, title: Param, policy: DeskPolicy
) -> tuple[bytes, dict[str, float]]:
    figure, axes = _figure()
    data: dict[str, float] = {}
    _title(
        axes, text_of(N_("Average hours from registration to each step, {period}"), period=title)
    )
    steps = [s for s in STEP_TIMES if s.name in stats.detail.step_hours]
    if not steps:
        _nothing(axes, text_of)
        return _png(figure), data
    positions = list(range(len(steps)))[::-1]
    rows = []
    for step in steps:
        limit = policy.sla.get(step.limit) if step.limit else None
        plain = limit.round_the_clock if limit else None
        rows.append(
            (
                step,
                stats.detail.step_hours[step.name][0],
                plain.total_seconds() / 3600 if plain else None,
            )
        )
    longest = max(max(hours, limit or 0) for _, hours, limit in rows)
    for y, (step, hours, limit_hours) in zip(positions, rows, strict=True):
        data[step.name] = hours
        late = limit_hours is not None and hours > limit_hours
        axes.barh(y, hours, color=BAD if late else PALETTE[0], height=0.55)
        if limit_hours is not None:
            axes.plot([limit_hours] * 2, [y - 0.38, y + 0.38], color=TARGET, linewidth=2)
        shown = text_of(N_("{hours} h"), hours=Number(hours))
        # After the bar, or after the limit's mark when the mark stands just beyond it.
        mark = limit_hours if limit_hours is not None and limit_hours > hours else hours
        at = mark if mark - hours < longest * 0.15 else hours
        axes.text(at + longest * 0.01, y, shown, va="center", color=INK, fontsize=9)
    axes.set_yticks(positions, [text_of(step.label) for step in steps])
    axes.set_xlim(0, longest * 1.15 + 0.5)
    axes.set_xlabel(
        text_of(N_("hours (the black mark is the limit, where it runs round the clock)")),
        color=INK,
        fontsize=9,
    )
    return _png(figure), data


def _technicians(stats: DeskStats, text_of: Text, title: Param) -> tuple[bytes, dict[str, float]]:
    figure, axes = _figure()
    data: dict[str, float] = {}
    _title(axes, text_of(N_("Technicians by jobs completed, {period}"), period=title))
    rows = sorted(stats.detail.technicians, key=lambda f: (-f.jobs, f.name))[:12]
    if not rows:
        _nothing(axes, text_of)
        return _png(figure), data
    positions = list(range(len(rows)))[::-1]
    most = max(f.jobs for f in rows)
    axes.barh(positions, [f.jobs for f in rows], color=PALETTE[0], height=0.6)
    data.update({f.name: f.jobs for f in rows})
    for y, f in zip(positions, rows, strict=True):
        note = text_of(
            N_("{jobs} · rating {rating} · on time {on_time}"),
            jobs=f.jobs,
            rating=Msg(N_("none")) if f.rating is None else Number(f.rating, 2),
            on_time=percent_param(f.on_time),
        )
        axes.text(f.jobs + most * 0.02, y, note, va="center", color=INK, fontsize=8)
    axes.set_yticks(positions, [f.name for f in rows])
    axes.set_xlim(0, most * 1.8)  # room for the note after the longest bar
    return _png(figure), data


@dataclass(frozen=True)
class Chart:
    name: str  # one of CHART_NAMES
    png: bytes
    data: dict[str, float]  # what its bars show: by kind, KPI label, cause, step or name


def render_charts(stats: DeskStats, text_of: Text, title: Param, policy: DeskPolicy) -> list[Chart]:
    """Every chart of the period, in CHART_NAMES' order (in the font chart_font chose)."""
    made = (
        _per_day(stats, text_of, title),
        _kpis(stats, text_of, title),
        _causes(stats, text_of, title),
        _steps(stats, text_of, title, policy),
        _technicians(stats, text_of, title),
    )
    return [Chart(name, png, data) for name, (png, data) in zip(CHART_NAMES, made, strict=True)]
