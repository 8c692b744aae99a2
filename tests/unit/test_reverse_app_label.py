"""The app label ``reverse_generation --output`` writes into relation references without --app."""

from __future__ import annotations

import pytest

from fastapp.reverse import app_label_for


@pytest.mark.parametrize(
    ("output", "installed", "expected"),
    [
        ("shop/models.py", ["blog", "shop"], ("shop", "INSTALLED_APPS")),
        ("src/proj/shop/models.py", ["proj.shop"], ("shop", "INSTALLED_APPS")),
        ("proj/shop/models/__init__.py", ["proj.shop"], ("shop", "INSTALLED_APPS")),
        ("shop/models.py", [], ("shop", "the output path")),
        ("/srv/app/shop/models/catalog.py", [], ("shop", "the output path")),
        ("generated/tables.py", ["shop"], ("generated", "the output path")),
        ("models.py", ["shop"], ("models", "the default")),
        ("my-app/models.py", [], ("models", "the default")),
    ],
)
def test_label_from_installed_apps_then_the_path_then_the_default(output, installed, expected):
    assert app_label_for(output, installed) == expected


def test_the_most_specific_installed_app_wins():
    # Two packages whose models module the path could be; the longer one describes it fully.
    assert app_label_for("a/shop/models.py", ["shop", "a.shop"])[0] == "shop"
    assert app_label_for("a/b/models.py", ["b", "a.b"]) == ("b", "INSTALLED_APPS")
