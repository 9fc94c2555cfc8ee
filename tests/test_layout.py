"""The shape of the code that the next engineer relies on: short views, and every feature
package placed in the README and in the import contracts."""

import inspect
import tomllib
from pathlib import Path

#: A view reads a request, calls services and renders; more than this belongs in a service.
MAX_VIEW_LINES = 30


def test_no_view_is_longer_than_a_screen(app):
    long = {}
    for endpoint, decorated in app.view_functions.items():
        view = inspect.unwrap(decorated)
        if not view.__module__.startswith("portal."):
            continue
        lines, _ = inspect.getsourcelines(view)
        body = [line for line in lines if line.strip() and not line.lstrip().startswith("@")]
        if len(body) > MAX_VIEW_LINES:
            long[endpoint] = len(body)
    assert not long, f"views over {MAX_VIEW_LINES} lines: {long}"


ROOT = Path(__file__).resolve().parent.parent
FEATURES = sorted(
    p.name for p in (ROOT / "portal").iterdir() if p.is_dir() and (p / "__init__.py").exists()
)


def test_every_feature_package_is_in_the_readme_and_the_contracts():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    faces = next(c for c in contracts if c["type"] == "public_faces")
    layers = next(c for c in contracts if c["type"] == "layers")
    layered = {m.strip() for layer in layers["layers"] for m in layer.split("|")}
    assert FEATURES, "no feature packages found"
    for name in FEATURES:
        assert f"`portal/{name}/`" in readme, f"portal/{name}/ is missing from the README layout"
        assert f"portal.{name}" in faces["features"], f"portal.{name} is not under public_faces"
        assert f"portal.{name}" in layered, f"portal.{name} has no place in the layers"
