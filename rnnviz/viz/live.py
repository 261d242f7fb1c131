"""A plotly ``FigureWidget`` whose updates survive a busy browser, and new views that start current.

Every lesson figure is a :class:`LiveFigure`. It fixes two ways a stock ``go.FigureWidget``
loses changes in a live app (measured here under Voila; see docs/CONTRIBUTING.md, "Figures"):

1. **Dropped updates.** plotly sends each change as two quick state changes of one trait
   (``_py2js_update = message``, then ``= None``), and the browser's handler reads the
   trait's *current* value. When both frames are applied before the handler runs (a busy
   browser or kernel), it reads None and the change is lost; the figure freezes while the
   slider moves. A LiveFigure never resets the trait, and every message is *cumulative*:
   it carries the current value of every property changed since the figure was built. So
   whichever message the handler reads, it draws the current state.
2. **Stale new views.** A view created later (Voila connects after the notebook ran) starts
   from the synced ``_widget_data`` / ``_widget_layout``, which plotly refreshes only when
   the figure is displayed *itself*, not inside a Box. :meth:`LiveFigure.sync_state`
   copies the current figure into them; lesson apps call it when they are displayed and
   after every update that no browser view saw (``LessonApp.sync_figures``).

**Redraw cost.** plotly's widget redraws the *whole* figure on every update message, whatever it
changes (its handler restyles every trace with a marker key, ``_doNotReportToPy``, that plotly.js
does not know, so it recalculates all; measured 2026-11-26, plotly 7.1.0 / plotly.js 3.8.2: an
empty message cost as much as a full one). The marker is not the only cause: without it plotly.js still
replots the whole figure for a data change and even for a colour-only one (a bare page with plotly.js
4.1.1, lesson 4's sequence figure: recolouring one bar 62 ms, its full update 59 ms). A move of a slider therefore costs a full redraw of
every figure it touches, and the cost grows with the figure: tick labels and printed numbers
first. One thing is cheap to drop for every figure: plotly's default ``ticklabeloverflow``
("hide past div") measures every tick label after each redraw (about 40 % of lesson 2's
redraw in the browser profile); a LiveFigure sets ``ticklabeloverflow="allow"`` on every axis
that does not choose. Keep what changes with a slider in a small figure, and what changes
rarely in another one that the slider does not touch.

The set of traces is fixed once the figure is built (lesson figures name their traces and
update them); adding, deleting or moving traces raises instead of silently desynchronising.
"""

from __future__ import annotations

from copy import deepcopy

import plotly.graph_objects as go
from plotly.basedatatypes import BaseFigure, Undefined

__all__ = ["LiveFigure"]


def _value_at(obj, path: str):
    """The value at a plotly property path (``"marker.color"``, ``"annotations.1.text"``), or None if unset."""
    for key in BaseFigure._str_to_dict_path(path):
        if isinstance(key, int):
            if not isinstance(obj, (list, tuple)) or key >= len(obj):
                return None
            obj = obj[key]
        elif isinstance(obj, dict) and key in obj:
            obj = obj[key]
        else:
            return None
    return obj


def _outermost(paths: set[str]) -> list[str]:
    """``paths`` without those inside another one (``shapes.0.x0`` goes when ``shapes`` is there)."""
    parts = {p: BaseFigure._str_to_dict_path(p) for p in paths}
    keep = []
    for p, key in parts.items():
        if not any(len(other) < len(key) and key[: len(other)] == other for other in parts.values()):
            keep.append(p)
    return sorted(keep, key=lambda p: len(parts[p]))


class LiveFigure(go.FigureWidget):
    """A ``go.FigureWidget`` that sends cumulative update messages and can sync its state for new views.

    Use it exactly like a FigureWidget (``LiveFigure(fig)`` wraps a built ``go.Figure``);
    change it inside ``with fig.batch_update():`` so one control change is one message.
    """

    def __init__(self, *args, **kwargs):
        self._live_trace_props: dict[int, set[str]] = {}
        self._live_layout_props: set[str] = set()
        super().__init__(*args, **kwargs)
        # tick labels are not measured after every redraw (see the module doc, "Redraw cost")
        unset = {"selector": lambda axis: axis.ticklabeloverflow is None}
        self.update_xaxes(ticklabeloverflow="allow", **unset)
        self.update_yaxes(ticklabeloverflow="allow", **unset)
        self._live_trace_props.clear()  # part of the figure as built, not a change to send
        self._live_layout_props.clear()
        self._py2js_update = None
        self.sync_state()

    # -- what has changed since the figure was built -------------------------------------------------
    def _track(self, restyle_data, relayout_data, trace_indexes) -> None:
        traces = self._normalize_trace_indexes(trace_indexes)
        for prop, values in (restyle_data or {}).items():
            values = values if isinstance(values, list) else [values]
            for k, i in enumerate(traces):
                if values and values[k % len(values)] is not Undefined:
                    self._live_trace_props.setdefault(i, set()).add(prop)
        self._live_layout_props.update((relayout_data or {}).keys())

    def _cumulative_message(self, source_view_id) -> dict:
        traces = sorted(self._live_trace_props)
        props = sorted(set().union(*self._live_trace_props.values())) if traces else []
        style = {
            prop: [_value_at(self._data[i], prop) if prop in self._live_trace_props[i] else Undefined for i in traces]
            for prop in props
        }
        layout = {p: _value_at(self._layout, p) for p in _outermost(self._live_layout_props)}
        self._last_trace_edit_id += 1
        self._trace_edit_in_process = True
        self._last_layout_edit_id += 1
        self._layout_edit_in_process = True
        return {
            "style_data": style,
            "layout_data": layout,
            "style_traces": traces,
            "trace_edit_id": self._last_trace_edit_id,
            "layout_edit_id": self._last_layout_edit_id,
            "source_view_id": source_view_id,
        }

    def _send_cumulative(self, restyle_data, relayout_data, trace_indexes, source_view_id) -> None:
        self._track(restyle_data, relayout_data, trace_indexes)
        self._py2js_update = self._cumulative_message(source_view_id)  # never reset to None: see the module doc

    # -- plotly's three ways of sending a change all become one cumulative update --------------------
    def _send_update_msg(self, restyle_data, relayout_data, trace_indexes=None, source_view_id=None):
        self._send_cumulative(restyle_data, relayout_data, trace_indexes, source_view_id)

    def _send_restyle_msg(self, restyle_data, trace_indexes=None, source_view_id=None):
        self._send_cumulative(restyle_data, {}, trace_indexes, source_view_id)

    def _send_relayout_msg(self, layout_data, source_view_id=None):
        self._send_cumulative({}, layout_data, None, source_view_id)

    def _fixed_traces(self, *_args, **_kwargs):
        raise NotImplementedError(
            "a LiveFigure has a fixed set of traces: build every trace before wrapping the figure, "
            "then change their properties (hide one with visible=False)"
        )

    _send_addTraces_msg = _send_deleteTraces_msg = _send_moveTraces_msg = _fixed_traces

    # -- new views ------------------------------------------------------------------------------------
    @property
    def viewed(self) -> bool:
        """True when a browser view shows this figure now (ipywidgets counts views)."""
        return bool(self._view_count)

    def sync_state(self, *, force: bool = False) -> bool:
        """Copy the current figure into the state a view created later starts from.

        Does nothing while a browser view is live (it gets the updates) unless ``force``.
        Returns True when the state was copied.
        """
        if self.viewed and not force:
            return False
        self._widget_layout = deepcopy(self._layout_obj._props)
        self._widget_data = deepcopy(self._data)
        return True
