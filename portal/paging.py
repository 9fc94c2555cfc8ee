"""Long lists a page at a time: one COUNT query and one LIMIT/OFFSET query, however many rows.

    page = page_of(select(Factory).order_by(Factory.name, Factory.id), page=n, per_page=50)
    page.items, page.total, page.page, page.pages

The page number comes from the URL (`int_arg("page", 1)`); any number is safe here: below 1
it is the first page, past the last it is the last, so a link to a page that has since
emptied still shows rows. The statement must order by something unique (end with the id),
or rows can move between pages. Templates show the links with `pager()` from `_pager.html`.
"""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select

from portal.extensions import db

#: The most rows one page may hold, whatever a caller or URL asks for.
MAX_PER_PAGE = 500


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows and where it lies in the whole."""

    items: list[Any]
    #: Rows in the whole list.
    total: int
    #: This page's number, from 1.
    page: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "pages", max(1, -(-self.total // self.per_page)))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @property
    def first(self) -> int:
        """The position of the page's first row in the whole list, from 1 (0 when empty)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        """The position of the page's last row in the whole list (0 when empty)."""
        return self.first + len(self.items) - 1 if self.items else 0

    def numbers(self, around: int = 2) -> list[int | None]:
        """The page numbers to link to: the first, the last, and `around` either side of this
        one; None where two or more numbers are left out between them."""
        near = range(max(1, self.page - around), min(self.pages, self.page + around) + 1)
        numbers: list[int | None] = []
        for number in sorted({1, self.pages, *near}):
            if numbers and number - numbers[-1] == 2:
                numbers.append(number - 1)  # one page left out is shown, not "…"
            elif numbers and number - numbers[-1] > 2:
                numbers.append(None)
            numbers.append(number)
        return numbers


def clamp(page: int, per_page: int, total: int) -> tuple[int, int]:
    """(page, per_page) within bounds: per_page 1..MAX_PER_PAGE, page 1..the last page."""
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    last = max(1, -(-total // per_page))
    return min(max(page, 1), last), per_page


def page_of(statement: Select, page: int, per_page: int, *, total: int | None = None) -> Page:
    """The `page`th page of `per_page` rows of `statement` (which orders by something unique):
    one COUNT query, then one LIMIT/OFFSET query unless the list is empty. A statement of one
    entity or column gives its values as items, one of several gives rows. A caller that has
    counted the rows already (in groups it shows, say) passes `total`, and no COUNT is run."""
    if total is None:
        counted = select(func.count()).select_from(statement.order_by(None).subquery())
        total = db.session.scalar(counted)
    page, per_page = clamp(page, per_page, total)
    items: list[Any] = []
    if total:
        limited = statement.limit(per_page).offset((page - 1) * per_page)
        if len(statement.column_descriptions) == 1:
            items = list(db.session.scalars(limited))
        else:
            items = list(db.session.execute(limited))
    return Page(items, total, page, per_page)


def page_of_list(rows: list, page: int, per_page: int) -> Page:
    """The same for a list already in memory (rows of an uploaded file)."""
    page, per_page = clamp(page, per_page, len(rows))
    start = (page - 1) * per_page
    return Page(rows[start : start + per_page], len(rows), page, per_page)
