"""The faceted paper list behind ``/papers`` and ``/api/v1/papers``.

The grammar follows Datasette: filters are plain parameters (``expression=implicit``,
``year__gte=2023``), system parameters start with ``_`` (``_sort``, ``_size``, ``_next``,
``_facet``). Category filters are OR within one dimension and AND across dimensions, and a
category matches papers placed in it or in any descendant (``paper_category`` holds the rolled-up
rows). Facet counts are *disjunctive*: a dimension's counts ignore that dimension's own filter, so
each count says how many results the list would have if that value were toggled on alone.

- :mod:`.filters`: the column filters (year, venue, status, kind): parsing, SQL and chip labels.
- :mod:`.grammar`: the query string -> :class:`~.grammar.PaperQuery`.
- :mod:`.snapshot`: the per-database taxonomy snapshot and the counts cache.
- :mod:`.sql`: a resolved query -> WHERE clauses, counts.
- :mod:`.tokens`: ``_next`` keyset tokens and list URLs.
- :mod:`.facets`: facet values and the active-filter chips.
- :mod:`.page`: one page of the list, and every match for exports.
"""
