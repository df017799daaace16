"""Importing the household roster workbook (ROSTER_FORMAT.md): read safely, validate whole, preview, apply whole.

reader     opens an upload safely (size, zip entries, declared sizes, .xlsx content, rows counted in the XML)
           and streams every row the sheet holds
columns    the column table: headers in both languages, level, required, value lists
values     turns one cell into a model value, or says why it cannot
validate   pure functions: the rows become households and members, then a plan against the registry
registry   loads what the plan compares against, a few queries for the whole file
apply      writes a plan in one transaction, with bulk inserts and updates
batches    the import batch's life: received, validated, applied (used by the web, the job and the command)
workbooks  the downloadable template and the copy of an upload with its bad cells marked

django-import-export is not used here: it imports one model per row, while the roster is a person-level
sheet grouped into households that must be validated whole, previewed and applied all or nothing; it
serves the exports instead.
"""
