"""Pure maths on numpy/pandas: durations, periods, service calendars, availability, budgets.

Nothing here does I/O or imports a web, database, scheduler or HTTP library.
"""
