"""``python -m autotariffs``: the ``autotariffs`` command (see :mod:`autotariffs.cli`)."""

from autotariffs.cli import main

if __name__ == "__main__":  # (a module walk that imports every module must not run the command)
    raise SystemExit(main())
