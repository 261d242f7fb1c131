"""rnnviz: recurrent neural networks you can read, step through and check.

The core (``rnnviz.core``) is NumPy alone; the views (``rnnviz.viz``) use plotly and
the apps (``rnnviz.widgets``) ipywidgets, imported only when used.
"""

from .core import *  # noqa: F401,F403
from .core import __all__ as _core_all

__version__ = "0.1.0"
__all__ = list(_core_all)
