"""Translated names of the factory register's codes."""

from collections.abc import Iterator, Mapping

from flask_babel import lazy_gettext as _l


class Translated(Mapping):
    """A dict of labels in the page's language, each translated on first use and then kept:
    a long list names the same few codes on every row."""

    def __init__(self, labels: dict):
        self._labels = labels
        self._done: dict[str, str] = {}

    def __getitem__(self, code: str) -> str:
        try:
            return self._done[code]
        except KeyError:
            text = self._done[code] = str(self._labels[code])
            return text

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)


ROLE_LABELS = {
    "final_assembly": _l("Final assembly"),
    "main_component": _l("Main component"),
}
COMPONENT_LABELS = {
    "mainboard_pcb": _l("Mainboard/PCB"),
    "display_panel": _l("Display panel"),
    "battery": _l("Battery"),
    "power_supply": _l("Power supply"),
    "chassis": _l("Chassis"),
    "memory": _l("Memory"),
    "storage": _l("Storage"),
    "processor_semiconductors": _l("Processor/semiconductors"),
    "cables": _l("Cables"),
    "keyboard_peripherals": _l("Keyboard and peripherals"),
    "other": _l("Other"),
}
PRODUCT_LABELS = {
    "pcs": _l("PCs"),
    "monitors": _l("Monitors"),
    "thin_clients": _l("Thin clients"),
    "medical_panel_pcs": _l("Medical panel PCs"),
    "network_security": _l("Network and security products"),
    "servers_storage": _l("Servers and storage"),
    "desktop_equipment": _l("Desktop equipment (headsets, keyboards, mice)"),
    "small_printers": _l("Small printers"),
}
RISK_LABELS = {
    "freedom_of_association": _l("Freedom of association"),
    "working_hours": _l("Working hours"),
    "wages": _l("Wages"),
    "ohs_chemicals": _l("Occupational health and chemicals"),
    "forced_labour": _l("Forced labour"),
    "child_labour": _l("Child labour"),
    "discrimination_gender": _l("Discrimination and gender"),
    "corruption": _l("Corruption"),
    "environment": _l("Environment"),
    "other": _l("Other"),
}
RISK_STATUS_LABELS = {
    "identified": _l("Identified"),
    "mitigating": _l("Being mitigated"),
    "mitigated": _l("Mitigated"),
    "accepted": _l("Accepted, monitored"),
}
#: What each column of an imported file can hold (importing.MATCHABLE), as the form names it.
FIELD_LABELS = {
    "name": _l("Factory name"),
    "name_local": _l("Name in the local language"),
    "address": _l("Address"),
    "city": _l("City"),
    "postal_code": _l("Postal code"),
    "country": _l("Country"),
    "role": _l("Role in the supply chain"),
    "component_categories": _l("Components made there"),
    "product_categories": _l("Product categories it makes for"),
    "brands": _l("Brands"),
    "workers": _l("Number of workers"),
    "parent_company": _l("Parent company"),
    "latitude": _l("Latitude"),
    "longitude": _l("Longitude"),
    "os_hub_id": _l("Open Supply Hub ID"),
    "rba_id": _l("RBA ID"),
    "entered_on": _l("In the supply chain since"),
    "left_on": _l("Left the supply chain on"),
    "product_models": _l("Product models it makes for the contract"),
    "supplies": _l("Supplies (final-assembly factory or brand)"),
    "women_percent": _l("Women (%)"),
    "migrant_percent": _l("Migrant workers (%)"),
    "agency_percent": _l("Agency workers (%)"),
    "processing_type": _l("Processing type (Open Supply Hub)"),
    "is_closed": _l("Closed (Open Supply Hub)"),
}
