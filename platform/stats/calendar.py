"""Working days counted fast for many cases: a cumulative count of working days
per date (built once per run from cases.workdays), so the working days between
two dates is one subtraction instead of a walk over the calendar."""
from __future__ import annotations

import datetime as dt

from cases import workdays

EPOCH_YEAR = 2000


class WorkdayIndex:
    def __init__(self) -> None:
        self._years: dict[int, list[int]] = {}  # year → cumulative count at each day of the year
        self._base: dict[int, int] = {}  # year → working days of the years before it (since EPOCH_YEAR)

    def _year(self, year: int) -> list[int]:
        if year not in self._years:
            day, counts, total = dt.date(year, 1, 1), [], 0
            while day.year == year:
                total += workdays.is_workday(day)
                counts.append(total)
                day += dt.timedelta(days=1)
            self._years[year] = counts
        return self._years[year]

    def _base_of(self, year: int) -> int:
        if year not in self._base:
            self._base[year] = 0 if year <= EPOCH_YEAR else self._base_of(year - 1) + self._year(year - 1)[-1]
        return self._base[year]

    def cum(self, day: dt.date) -> int:
        """Working days from EPOCH_YEAR's first day up to and including `day`."""
        return self._base_of(day.year) + self._year(day.year)[day.timetuple().tm_yday - 1]

    def between(self, start: dt.date, end: dt.date) -> int:
        """As cases.workdays.working_days_between: working days after start up to end (0 if end ≤ start)."""
        return max(0, self.cum(end) - self.cum(start))
