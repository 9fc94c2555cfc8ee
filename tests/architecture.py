"""An import-linter contract type: features use each other only through their public face.

Each feature package (`portal.questionnaires`, `portal.review`, ...) keeps its models, forms,
routes and helpers to itself and offers other features one module, `services`: the functions
they may call and the model classes they may name. An import from one feature into another
that reaches anything but that module (or the package itself) breaks the contract. Imports
inside a feature, and imports by the application factory, the commands and the demo (which
sit above every feature and wire them together), are not checked.
"""

from __future__ import annotations

from importlinter import Contract, ContractCheck, fields, output


class PublicFacesContract(Contract):
    type_name = "public_faces"

    features = fields.ListField(subfield=fields.StringField())
    public = fields.StringField()

    def _feature_of(self, module: str) -> str | None:
        for feature in self.features:  # type: ignore[attr-defined]
            if module == feature or module.startswith(feature + "."):
                return feature
        return None

    def check(self, graph, verbose: bool) -> ContractCheck:
        broken: list[dict] = []
        for importer in sorted(graph.modules):
            home = self._feature_of(importer)
            if home is None:
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                target = self._feature_of(imported)
                if target is None or target == home:
                    continue
                if imported in (target, f"{target}.{self.public}"):
                    continue
                lines = [
                    detail["line_number"]
                    for detail in graph.get_import_details(importer=importer, imported=imported)
                ]
                broken.append({"importer": importer, "imported": imported, "lines": lines})
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["broken"]:
            where = ", ".join(f"l.{n}" for n in item["lines"])
            output.print_error(
                f"{item['importer']} -> {item['imported']} ({where}): "
                f"use {self._feature_of(item['imported'])}.{self.public} instead",
                bold=False,
            )
            output.new_line()
