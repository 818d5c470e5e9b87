"""Working days counted fast for many cases: a cumulative count of working days
per date (built once per run from cases.workdays), so the working days between
two dates is one subtraction instead of a walk over the calendar."""
from __future__ import annotations

import datetime as dt

from cases import workdays


class WorkdayIndex:
    def __init__(self) -> None:
        # Counts are relative to this year's 1 January: only differences are ever used, and only
        # the years between it and the dates asked for are built (each day asks the calendar).
        self._epoch = dt.date.today().year
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
            if year == self._epoch:
                self._base[year] = 0
            elif year > self._epoch:
                self._base[year] = self._base_of(year - 1) + self._year(year - 1)[-1]
            else:
                self._base[year] = self._base_of(year + 1) - self._year(year)[-1]
        return self._base[year]

    def cum(self, day: dt.date) -> int:
        """Working days from the epoch year's 1 January up to and including `day` (negative before it)."""
        return self._base_of(day.year) + self._year(day.year)[day.timetuple().tm_yday - 1]

    def between(self, start: dt.date, end: dt.date) -> int:
        """As cases.workdays.working_days_between: working days after start up to end (0 if end ≤ start)."""
        return max(0, self.cum(end) - self.cum(start))
