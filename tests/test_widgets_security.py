"""A Voila client can set any synced widget value over the websocket: every app must survive it.

For every lesson app and every control, values a browser could send in a comm message
(out of range, wrong type, huge text, markup) are applied the way ipywidgets applies them
(``set_state``). Each must be refused by the widget (TraitError) or handled by the app
(a readable message, or a clamped value); afterwards the app still responds to a good value.
"""

import importlib
import inspect
import pkgutil

import ipywidgets as W
import pytest
from traitlets import TraitError

import rnnviz.widgets
from rnnviz.widgets.base import LessonApp


def _apps():
    found = []
    for info in pkgutil.iter_modules(rnnviz.widgets.__path__):
        mod = importlib.import_module(f"rnnviz.widgets.{info.name}")
        for name, cls in inspect.getmembers(mod, inspect.isclass):
            if (issubclass(cls, LessonApp) and cls is not LessonApp and cls.__module__ == mod.__name__
                    and not name.startswith("_")):
                found.append(pytest.param(cls, id=f"{info.name}.{name}"))
    return found


HOSTILE = {
    "number": [1e300, -1e300, float("nan"), "1; import os", None, [1, 2]],
    "text": ["x" * 200_000, "word " * 40_000, "", "<script>alert(1)</script>", "../../etc/passwd", "\x00\x01", 12],
    "choice": ["not-an-option", 42, None],
    "bool": ["yes", 3],
}


def _kind(control):
    if isinstance(control, (W.IntSlider, W.FloatSlider, W.IntText, W.FloatText, W.BoundedIntText,
                            W.BoundedFloatText, W.Play, W.IntRangeSlider)):
        return "number"
    if isinstance(control, (W.Text, W.Textarea)):
        return "text"
    if isinstance(control, (W.ToggleButtons, W.Dropdown, W.RadioButtons, W.SelectionSlider, W.Select)):
        return "choice"
    if isinstance(control, (W.Checkbox, W.ToggleButton)):
        return "bool"
    return None


def _controls(app):
    return [(attr, c) for attr, c in vars(app).items() if isinstance(c, W.ValueWidget) and _kind(c)]


@pytest.mark.parametrize("cls", _apps())
def test_hostile_widget_values_are_refused_or_handled(cls):
    app = cls()
    controls = _controls(app)
    assert controls, f"{cls.__name__} has no controls"
    for attr, control in controls:
        good = control.value
        for bad in HOSTILE[_kind(control)]:
            try:
                control.set_state({"value": bad})  # what a comm_msg from the browser does
            except (TraitError, TypeError, ValueError):
                continue  # refused by the widget itself: the value never reaches the app
            if app.message.kind == "error":
                text = app.message.text
                assert "Traceback" not in text and len(text) < 1000, f"{attr}: unreadable message {text[:200]!r}"
            if isinstance(control, (W.Text, W.Textarea)) and isinstance(bad, str) and len(bad) > 10_000:
                assert app.message.kind in ("error", "warning"), f"{attr}: a 200 kB text was accepted silently"
        control.set_state({"value": good})
        assert app.message.kind != "error" or control.value == good, f"{cls.__name__}.{attr} did not recover"
    # the app still answers a good change
    attr, control = controls[0]
    app.run_guarded(app.update)
    assert app.message.kind != "error", f"{cls.__name__} is stuck in an error after hostile input: {app.message.text}"
