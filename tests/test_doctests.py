"""The examples in the docstrings run and show what they say (numpydoc ``Examples`` sections)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import glue_widgets

# the served scripts build a page when a server imports them; there is nothing to run here
MODULES = sorted(m.name for m in pkgutil.walk_packages(glue_widgets.__path__, "glue_widgets.")
                 if ".apps.scripts" not in m.name)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, capsys):
    mod = importlib.import_module(name)
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0, capsys.readouterr().out[-3000:]


def test_modules_were_found():
    assert len(MODULES) > 40 and "glue_widgets.apps.deeplink" in MODULES
