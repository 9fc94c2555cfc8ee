"""Forms of the factory register."""

import html
import re
from functools import lru_cache

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    DateField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)
from wtforms.widgets.core import clean_key

from portal.factories.importing import MAX_WORKERS
from portal.factories.labels import (
    COMPONENT_LABELS,
    FIELD_LABELS,
    PRODUCT_LABELS,
    RISK_LABELS,
    RISK_STATUS_LABELS,
    ROLE_LABELS,
)
from portal.factories.lists import Filters
from portal.forms import FindsChoices, VersionedForm, WholeNumberField
from portal.orgs.services import country_choices, is_country

_OS_ID = re.compile(r"^[A-Z]{2}\d{7}[A-Z0-9]{6,7}$")
_RBA_ID = re.compile(r"^[A-Za-z0-9-]{4,30}$")
_WORKERS = re.compile(r"^\s*(\d[\d\s]*)\s*(?:[-–]\s*(\d[\d\s]*))?\s*$")
_PERCENT = re.compile(r"^(\d{1,3})\s*%?$")
_DEGREES = re.compile(r"^[-+]?\d{1,3}(?:[.,]\d{1,10})?$")


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(code, label) for code, label in labels.items()]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class PercentField(StringField):
    """A whole percentage from 0 to 100 ("45" or "45 %"), or nothing; anything else is
    refused at the field and shown again as typed."""

    raw: str | None = None

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        match = _PERCENT.match(self.raw)
        number = int(match.group(1)) if match else None
        self.data = number if number is not None and number <= 100 else None

    def pre_validate(self, form):
        if self.raw and self.data is None:
            raise StopValidation(_l("Enter a whole percentage from 0 to 100, such as 45."))

    def _value(self):
        if self.raw is not None:
            return self.raw
        return "" if self.data is None else str(self.data)


class CoordinateField(StringField):
    """Degrees of latitude or longitude within +/- `limit` ("31.3856", or "31,3856" as a
    Swedish keyboard writes it), or nothing; anything else is refused at the field and shown
    again as typed."""

    raw: str | None = None

    def __init__(self, label, *, limit: int, message, **kwargs):
        super().__init__(label, **kwargs)
        self.limit = limit
        self.message = message

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        match = _DEGREES.match(self.raw)
        number = float(match.group(0).replace(",", ".")) if match else None
        self.data = number if number is not None and abs(number) <= self.limit else None

    def pre_validate(self, form):
        if self.raw and self.data is None:
            raise StopValidation(self.message)

    def _value(self):
        if self.raw is not None:
            return self.raw
        return "" if self.data is None else f"{self.data:g}"


def _id_or_blank(value) -> str:
    return "" if value in (None, "") else str(value)


class FactoryForm(VersionedForm, FindsChoices):
    """A factory of the register. Of a register with many final-assembly factories, the one
    a main-component factory supplies is chosen from those a search finds (`offer`)."""

    name = StringField(
        _l("Factory name"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter the factory's name.")), Length(max=300)],
    )
    name_local = StringField(
        _l("Name in the local language"), filters=[_strip], validators=[Optional(), Length(max=300)]
    )
    address = StringField(_l("Address"), filters=[_strip], validators=[Optional(), Length(max=500)])
    city = StringField(_l("City"), filters=[_strip], validators=[Optional(), Length(max=200)])
    postal_code = StringField(
        _l("Postal code"), filters=[_strip], validators=[Optional(), Length(max=40)]
    )
    country = SelectField(_l("Country"), validate_choice=False)  # validate_country says why
    role = SelectField(_l("Role in the supply chain"), choices=_choices(ROLE_LABELS))
    component_categories = Checkboxes(
        _l("Components made there"), choices=_choices(COMPONENT_LABELS)
    )
    product_categories = Checkboxes(
        _l("Product categories it makes for"), choices=_choices(PRODUCT_LABELS)
    )
    brands = StringField(
        _l("Brands"),
        filters=[_strip],
        description=_l("Separate several brands with commas."),
        validators=[Optional(), Length(max=500)],
    )
    workers = StringField(
        _l("Number of workers"),
        filters=[_strip],
        description=_l("A number, or a range such as 51-100."),
        validators=[Optional()],
    )
    parent_company = StringField(
        _l("Parent company"),
        filters=[_strip],
        description=_l("The group that owns the factory, not the brands it makes products for."),
        validators=[Optional(), Length(max=200)],
    )
    latitude = CoordinateField(
        _l("Latitude"),
        limit=90,
        message=_l("Enter the latitude in degrees, from -90 to 90, such as 31.3856."),
        description=_l("In degrees, such as 31.3856; south of the equator below 0."),
    )
    longitude = CoordinateField(
        _l("Longitude"),
        limit=180,
        message=_l("Enter the longitude in degrees, from -180 to 180, such as 120.981."),
        description=_l("In degrees, such as 120.981; west of Greenwich below 0."),
    )
    os_hub_id = StringField(
        _l("Open Supply Hub ID"),
        filters=[_strip],
        description=_l("Such as CN2019123ABC4DE."),
        validators=[Optional()],
    )
    rba_id = StringField(_l("RBA ID"), filters=[_strip], validators=[Optional()])
    entered_on = DateField(
        _l("In the supply chain since"),
        validators=[DataRequired(_l("Enter the date as YYYY-MM-DD."))],
    )
    product_models = StringField(
        _l("Product models it makes for the contract"),
        filters=[_strip],
        description=_l("Such as the model names in the offer, separated by commas."),
        validators=[Optional(), Length(max=500)],
    )
    supplies_factory_id = SelectField(
        _l("Final-assembly factory it supplies"),
        coerce=_id_or_blank,
        description=_l("Only for a main-component factory: one of your final-assembly factories."),
    )
    supplies_brand = StringField(
        _l("Or the brand it supplies"),
        filters=[_strip],
        description=_l("When the factory it supplies is not in your list."),
        validators=[Optional(), Length(max=200)],
    )
    women_percent = PercentField(_l("Women (%)"))
    migrant_percent = PercentField(_l("Migrant workers (%)"))
    agency_percent = PercentField(_l("Agency workers (%)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = [SelectChoice("", _l("Choose a country"))] + [
            SelectChoice(code, name) for code, name in country_choices()
        ]
        if self.supplies_factory_id.data is None:
            self.supplies_factory_id.data = ""  # none chosen, also when the form leaves it out

    @property
    def supplies_chosen(self) -> int | None:
        """The id of the factory chosen as the one it supplies, as sent (None: none)."""
        value = self.supplies_factory_id.data or ""
        return int(value) if re.fullmatch(r"[0-9]{1,18}", value) else None

    def offer(self, factories) -> None:
        """The factories (with `id` and `name`) it may name as the one it supplies."""
        self.supplies_factory_id.choices = [SelectChoice("", _l("None"))] + [
            SelectChoice(str(f.id), f.name) for f in factories
        ]

    def show(self, factory) -> None:
        """Fill the fields that the form writes differently from the row: brands as one
        line, the workers as a number or range, and the version the page was opened on."""
        self.brands.data = ", ".join(factory.brands or [])
        self.workers.data = factory.workers_label.replace("–", "-")
        self.version.data = factory.version

    def validate_country(self, field):
        if not is_country(field.data or ""):
            raise ValidationError(_l("Choose the country from the list."))

    def validate_workers(self, field):
        if not field.data:
            return
        match = _WORKERS.match(field.data)
        if not match:
            raise ValidationError(_l("Enter a number, or a range such as 51-100."))
        numbers = [re.sub(r"\s", "", number) for number in match.groups() if number]
        # The length first: int() itself refuses thousands of digits.
        if any(len(n) > len(str(MAX_WORKERS)) or int(n) > MAX_WORKERS for n in numbers):
            raise ValidationError(
                _l("More than %(max)s workers cannot be right; check the number.", max=MAX_WORKERS)
            )

    def validate_os_hub_id(self, field):
        if field.data and not _OS_ID.match(field.data.upper()):
            raise ValidationError(_l("An Open Supply Hub ID looks like CN2019123ABC4DE."))

    def validate_rba_id(self, field):
        if field.data and not _RBA_ID.match(field.data):
            raise ValidationError(_l("Use 4 to 30 letters, digits or hyphens."))

    def validate_longitude(self, field):
        # A point needs both; one alone is a typing slip, not a place.
        if (field.data is None) != (self.latitude.data is None) and not self.latitude.errors:
            raise ValidationError(_l("Enter both the latitude and the longitude, or neither."))

    def validate_supplies_brand(self, field):
        if field.data and self.supplies_factory_id.data and self.role.data == "main_component":
            raise ValidationError(_l("Name the factory it supplies or the brand, not both."))

    def values(self) -> dict:
        """The register's columns from the form."""
        low = high = None
        match = _WORKERS.match(self.workers.data or "")
        if match:
            low = int(re.sub(r"\s", "", match.group(1)))
            high = int(re.sub(r"\s", "", match.group(2))) if match.group(2) else low
        return {
            "name": self.name.data,
            "name_local": self.name_local.data or None,
            "address": self.address.data or None,
            "city": self.city.data or None,
            "postal_code": self.postal_code.data or None,
            "country": self.country.data,
            "role": self.role.data,
            "component_categories": self.component_categories.data,
            "product_categories": self.product_categories.data,
            "brands": [b.strip() for b in (self.brands.data or "").split(",") if b.strip()],
            "workers_min": low,
            "workers_max": high,
            "parent_company": self.parent_company.data or None,
            "latitude": self.latitude.data,
            "longitude": self.longitude.data,
            "os_hub_id": (self.os_hub_id.data or "").upper() or None,
            "rba_id": self.rba_id.data or None,
            "entered_on": self.entered_on.data,
            "product_models": self.product_models.data or None,
            # Only a main-component factory supplies another; the choice is kept otherwise.
            **(
                {
                    "supplies_factory_id": int(self.supplies_factory_id.data or 0) or None,
                    "supplies_brand": self.supplies_brand.data or None,
                }
                if self.role.data == "main_component"
                else {"supplies_factory_id": None, "supplies_brand": None}
            ),
            "women_percent": self.women_percent.data,
            "migrant_percent": self.migrant_percent.data,
            "agency_percent": self.agency_percent.data,
        }


class EndForm(FlaskForm):
    left_on = DateField(
        _l("Left the supply chain on"),
        validators=[DataRequired(_l("Enter the date as YYYY-MM-DD."))],
    )


class RiskForm(FlaskForm):
    category = SelectField(_l("Risk"), choices=_choices(RISK_LABELS))
    severity = WholeNumberField(
        _l("Severity"), validators=[DataRequired(_l("Enter the severity as a whole number."))]
    )
    likelihood = WholeNumberField(
        _l("Likelihood"), validators=[DataRequired(_l("Enter the likelihood as a whole number."))]
    )
    mitigation = TextAreaField(
        _l("What is done about it"), validators=[Optional(), Length(max=5000)]
    )
    status = SelectField(_l("Status"), choices=_choices(RISK_STATUS_LABELS))

    def set_scale(self, scale) -> None:
        self.severity.validators.append(
            NumberRange(
                1, scale.severity_max, _l("Use your scale: 1 to %(max)d.", max=scale.severity_max)
            )
        )
        self.likelihood.validators.append(
            NumberRange(
                1,
                scale.likelihood_max,
                _l("Use your scale: 1 to %(max)d.", max=scale.likelihood_max),
            )
        )

    def values(self) -> dict:
        return {
            "category": self.category.data,
            "severity": self.severity.data,
            "likelihood": self.likelihood.data,
            "mitigation": self.mitigation.data or "",
            "status": self.status.data,
        }


class RiskScaleForm(FlaskForm):
    severity_max = WholeNumberField(
        _l("Highest severity level"), default=5, validators=[DataRequired(), NumberRange(2, 10)]
    )
    likelihood_max = WholeNumberField(
        _l("Highest likelihood level"), default=5, validators=[DataRequired(), NumberRange(2, 10)]
    )
    method = TextAreaField(
        _l("How you prioritise risks"),
        description=_l(
            "The method and what each level means, for example which sources and "
            "criteria decide a factory's severity."
        ),
        validators=[DataRequired(_l("Describe your method.")), Length(max=10000)],
    )


class UploadForm(FlaskForm):
    file = FileField(
        _l("Factory list (CSV or XLSX)"), validators=[FileRequired(_l("Choose a file to upload."))]
    )


class BrandConfirmationForm(FlaskForm):
    """The day the factory list was last confirmed with one of the brands it names."""

    brand = SelectField(_l("Brand"), validators=[Length(max=200)])  # the column's size
    confirmed_on = DateField(
        _l("Confirmed on"), validators=[DataRequired(_l("Enter the date as YYYY-MM-DD."))]
    )

    def __init__(self, *args, brands: list[str] = (), today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.brand.choices = [SelectChoice(brand, brand) for brand in brands]
        self.today = today

    def validate_confirmed_on(self, field):
        if self.today and field.data and field.data > self.today:
            raise ValidationError(_l("The date cannot be in the future."))


@lru_cache(maxsize=64)
def _options_markup(options: tuple[tuple[object, str], ...]) -> str:
    """<option>s for (value, label) pairs, none selected."""
    return "".join(
        f'<option value="{html.escape(str(value))}">{html.escape(str(label))}</option>'
        for value, label in options
    )


#: <option>s of the lists fixed in the code, by the list and the language.
_FIXED_OPTIONS: dict[tuple[int, str], str] = {}


class QuickSelectField(SelectField):
    """A <select> of a filter form, written out in one go rather than through a widget call
    per option: a list's filters are drawn on every page, every country and every supplier
    among them. The options are (value, label) pairs: fixed with the field (`options=`, their
    markup made once per language), or set on the form from the database (made once per
    different list). The first option, value "", is `blank` when given."""

    def __init__(self, label=None, validators=None, *, options=(), blank=None, **kwargs):
        super().__init__(label, validators, choices=[], **kwargs)
        self.fixed = bool(options)
        self.options: tuple[tuple[object, str], ...] = options
        self.blank = blank

    def pre_validate(self, form):
        if self.process_errors:
            return
        chosen = "" if self.data is None else str(self.data)
        if chosen == "" and self.blank is not None:
            return
        if not any(str(value) == chosen for value, _label in self.options):
            raise ValidationError(self.gettext("Not a valid choice."))

    def _options(self) -> str:
        if not self.fixed:
            return _options_markup(self.options)
        key = (id(self.options), str(get_locale()))
        if key not in _FIXED_OPTIONS:
            labelled = tuple((value, str(label)) for value, label in self.options)
            _FIXED_OPTIONS[key] = _options_markup.__wrapped__(labelled)
        return _FIXED_OPTIONS[key]

    def __call__(self, **kwargs) -> Markup:
        kwargs.setdefault("id", self.id)
        options = self._options()
        if self.data not in (None, ""):
            value = f'value="{html.escape(str(self.data))}">'
            options = options.replace(value, value[:-1] + " selected>", 1)
        if self.blank is not None:
            options = f'<option value="">{html.escape(str(self.blank))}</option>{options}'
        return Markup(f"<select {_attributes(name=self.name, **kwargs)}>{options}</select>")  # noqa: S704 - escaped


def _attributes(**attributes) -> str:
    """What WTForms' html_params writes for these attributes (sorted, "class_" as "class",
    "aria_x" and "data_x" with hyphens, True bare, False left out, each value escaped), as
    plain strings: html_params formats each through Markup, a tenth of a select's cost."""
    written = []
    for key, value in sorted(attributes.items()):
        name = clean_key(key)
        if value is True:
            written.append(name)
        elif value is not False:
            written.append(f'{name}="{escape(value)}"')
    return " ".join(written)


def _pairs(labels: dict) -> tuple[tuple[str, str], ...]:
    return tuple(labels.items())


def _id_or_none(value) -> int | None:
    """A supplier's id from the query string; anything else is no supplier."""
    if not re.fullmatch(r"[0-9]{1,10}", str(value)):
        return None
    return int(value)


class ListForm(FlaskForm):
    """A factory list's filters, order and page, read from the query string. A value that
    does not validate counts as absent, and the form then shows what the list applies."""

    class Meta:
        csrf = False  # a GET form that only chooses what to show

    q = StringField(
        _l("Name or city contains"), filters=[_strip], validators=[Optional(), Length(max=100)]
    )
    country = QuickSelectField(_l("Country"), blank=_l("All countries"), default="")
    role = QuickSelectField(
        _l("Role"), options=_pairs(ROLE_LABELS), blank=_l("All roles"), default=""
    )
    #: Each list gives its own orders.
    sort = QuickSelectField(_l("Sort by"))
    order = QuickSelectField(
        _l("Order"),
        options=(("asc", _l("Ascending")), ("desc", _l("Descending"))),
        default="asc",
    )
    page = WholeNumberField(validators=[Optional(), NumberRange(min=1)])

    def __init__(self, formdata, *, countries: list[tuple[str, str]], **kwargs):
        super().__init__(formdata, **kwargs)
        self.country.options = tuple(countries)

    def applied(self) -> None:
        """Validate, and put back the default of every field that does not validate."""
        self.validate()
        for field in self:
            if field.errors:
                field.data = field.default
                field.errors = []

    def filters(self, **extra) -> Filters:
        """The filters as lists.Filters."""
        return Filters(
            search=self.q.data or None,
            country=self.country.data or None,
            role=self.role.data or None,
            sort=self.sort.data,
            descending=self.order.data == "desc",
            page=self.page.data or 1,
            **extra,
        )


class RegisterListForm(ListForm):
    """The supplier's register: as of a day, the factories in the supply chain or those that
    had left it by then."""

    on = DateField(_l("Show the list as it stood on"), validators=[Optional()])
    status = QuickSelectField(
        _l("Factories"),
        options=(("current", _l("In the supply chain")), ("left", _l("Left the supply chain"))),
        default="current",
    )
    sort = QuickSelectField(
        _l("Sort by"),
        options=(
            ("role", _l("Role, then country")),
            ("name", _l("Name")),
            ("country", _l("Country")),
            ("workers", _l("Number of workers")),
            ("updated", _l("Last changed")),
        ),
        default="role",
    )


class FactoryTableForm(ListForm):
    """The buyer's filters on every supplier's factories."""

    component = QuickSelectField(
        _l("Component"), options=_pairs(COMPONENT_LABELS), blank=_l("All components"), default=""
    )
    supplier = QuickSelectField(
        _l("Supplier"), blank=_l("All suppliers"), coerce=_id_or_none, default=None
    )
    sort = QuickSelectField(
        _l("Sort by"),
        options=(
            ("country", _l("Country")),
            ("name", _l("Name")),
            ("supplier", _l("Supplier")),
            ("role", _l("Role")),
            ("workers", _l("Number of workers")),
            ("updated", _l("Last changed")),
        ),
        default="country",
    )

    def __init__(self, formdata, *, suppliers: list[tuple[int, str]], **kwargs):
        super().__init__(formdata, **kwargs)
        self.supplier.options = tuple(suppliers)

    def filters(self, **extra) -> Filters:
        return super().filters(
            component=self.component.data or None, organisation_id=self.supplier.data, **extra
        )


class FrozenListForm(ListForm):
    """The filters on a factory list frozen into a submitted response."""

    sort = QuickSelectField(
        _l("Sort by"),
        options=(
            ("listed", _l("As listed")),
            ("name", _l("Name")),
            ("country", _l("Country")),
            ("role", _l("Role")),
        ),
        default="listed",
    )


class PreviewForm(FlaskForm):
    """Which of an uploaded file's rows its preview shows, and the page."""

    class Meta:
        csrf = False  # a GET form that only chooses what to show

    show = QuickSelectField(
        _l("Show"),
        options=(
            ("all", _l("All rows, those with problems first")),
            ("problems", _l("Only the rows with problems")),
            ("clean", _l("Only the rows without problems")),
        ),
        default="all",
    )
    page = WholeNumberField(validators=[Optional(), NumberRange(min=1)])

    def applied(self) -> tuple[str, int]:
        """(what to show, page), each its default when it does not validate."""
        self.validate()
        if self.show.errors:
            self.show.data = self.show.default
        return self.show.data, (None if self.page.errors else self.page.data) or 1


class ConfirmImportForm(FlaskForm):
    #: Rows with errors that the user chose to leave out.
    drop = Checkboxes(_l("Leave these rows out"), coerce=int, validate_choice=False)
    #: Possible duplicates that the user chose to import all the same.
    keep = Checkboxes(_l("Keep these rows"), coerce=int, validate_choice=False)
    #: Every row with errors left out, also those on other pages of the preview.
    drop_all = BooleanField(_l("Leave out every row with errors"))
    #: Every possible duplicate kept, also those on other pages of the preview.
    keep_all = BooleanField(_l("Keep every possible duplicate"))

    droppable: tuple[int, ...] = ()
    duplicates: tuple[int, ...] = ()

    def offer(self, droppable: list[int], duplicates: list[int]) -> None:
        """The rows the user may leave out (those with errors that are not duplicates) and
        the possible duplicates they may keep, by row number."""
        self.droppable, self.duplicates = tuple(droppable), tuple(duplicates)
        self.drop.choices = [SelectChoice(n, str(n)) for n in droppable]
        self.keep.choices = [SelectChoice(n, str(n)) for n in duplicates]

    def chosen(self) -> dict:
        """The rows left out and kept, as services.confirm_import takes them."""
        dropped = set(self.drop.data or [])
        kept = set(self.keep.data or [])
        if self.drop_all.data:
            dropped.update(self.droppable)
        if self.keep_all.data:
            kept.update(self.duplicates)
        return {"dropped": dropped, "kept": kept}


class ColumnMatchingForm(FlaskForm):
    """One choice per column of an imported file: the field it holds, or none. Made for each
    file by column_matching_form."""

    column_count = 0

    def columns(self) -> list[SelectField]:
        return [self[f"column_{index}"] for index in range(self.column_count)]

    def matching(self) -> list[str | None]:
        """The field chosen for each column, in the file's order (None: not imported)."""
        return [column.data or None for column in self.columns()]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        chosen: dict[str, SelectField] = {}
        for column in self.columns():
            if not column.data:
                continue
            if column.data in chosen:
                column.errors.append(
                    _l(
                        "%(other)s is already read as %(field)s. Choose one column for it.",
                        other=chosen[column.data].label.text,
                        field=FIELD_LABELS[column.data],
                    )
                )
                valid = False
            else:
                chosen[column.data] = column
        if "name" not in chosen:
            self.form_errors.append(_l("Choose the column that holds the factories' names."))
            valid = False
        return valid


def column_matching_form(
    headings: list[str], initial: list[str | None], **kwargs
) -> ColumnMatchingForm:
    """The matching form for a file with these headings, each choice labelled by its heading
    and set to `initial` (the field at the same index, or None)."""
    choices = [SelectChoice("", _l("Not imported")), *_choices(FIELD_LABELS)]

    class Form(ColumnMatchingForm):
        column_count = len(headings)

    for index, (heading, field) in enumerate(zip(headings, initial, strict=True)):
        setattr(Form, f"column_{index}", SelectField(heading, choices=choices, default=field or ""))
    return Form(**kwargs)
