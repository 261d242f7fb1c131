"""Every lesson app, every control moved through its range: each view stays current, well formed and counted.

* a plotly figure (``LiveFigure``): a browser that reads only the last message draws what the kernel holds
  (``tests/test_viz_live.py`` explains why);
* a view rnnviz draws (an HTML widget holding ``rnnviz-view`` elements): every message carries the whole view,
  so none can be lost; what must hold is that the markup stays well formed with its data values numbers, and
  that the app keeps showing the number of views it declared on display (``LessonApp.declare_views``): the
  browser tests and the benchmarks wait for that many;
* a move within a control's range never ends in an error message.
"""

import ipywidgets as W
import pytest

from rnnviz.viz.live import LiveFigure
from rnnviz.viz.svg import VIEW_CLASS, parse_view
from rnnviz.widgets.base import count_views
from test_viz_live import _assert_view_is_current, _open_view
from test_widgets_security import _apps, _controls, _kind


def _moves(control):
    kind = _kind(control)
    if kind == "number" and hasattr(control, "max") and not isinstance(control, W.IntRangeSlider):
        lo, hi = control.min, control.max
        return [hi, lo + (hi - lo) / 2 if isinstance(control.value, float) else (lo + hi) // 2, lo]
    if kind == "choice":
        return list(control._options_values)[::-1][:3]
    if kind == "bool":
        return [not control.value, control.value]
    return []


def _html_views(app):
    return [w for w in app.descendants() if isinstance(w, W.HTML) and count_views(w.value)]


def _assert_well_formed(widget, where):
    root = parse_view(widget.value)  # raises on broken markup
    roots = [el for el in root.iter() if VIEW_CLASS in (el.get("class") or "").split()]
    assert roots, f"{where}: no {VIEW_CLASS} element"
    for el in root.iter():
        if el.get("data-v") is not None:
            float(el.get("data-v"))  # a number (nan and inf included), never markup or an empty string


@pytest.mark.parametrize("cls", _apps())
def test_every_view_stays_current_well_formed_and_counted_as_every_control_moves(cls):
    app = cls()
    app._repr_mimebundle_()  # displayed: the app declares its views
    declared = app.view_count()
    assert declared >= 1, f"{cls.__name__} shows no figure or view"
    figs = list(app.figures())
    for fig in figs:
        _open_view(fig)
    moved = 0
    for attr, control in _controls(app):
        for value in _moves(control):
            if isinstance(control, W.Play):
                continue  # plays the time slider, moved on its own
            control.value = value
            moved += 1
            where = f"{cls.__name__}.{attr} = {value!r}"
            assert app.message.kind != "error", f"{where}: {app.message.text}"
            for k, fig in enumerate(figs):
                _assert_view_is_current(fig, f"{where} (figure {k})")
            for widget in _html_views(app):
                _assert_well_formed(widget, where)
            assert app.view_count() == declared, f"{where}: shows {app.view_count()} views, declared {declared}"
    assert moved, f"{cls.__name__}: no control was moved"
    assert all(isinstance(f, LiveFigure) for f in figs)
