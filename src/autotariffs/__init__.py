"""autotariffs: how US Section 232 tariffs moved imports of Korean and Japanese cars."""

import os as _os
import sys as _sys

__version__ = "0.1.0"

# Progress bars stay off in notebooks: without ipywidgets tqdm would print dozens of text fragments
# into cells. tqdm reads TQDM_* defaults when it is first imported, which in a
# kernel happens later than this (autotariffs.models imports it lazily). Scripts keep their bars.
if "ipykernel" in _sys.modules:
    _os.environ.setdefault("TQDM_DISABLE", "1")
