"""ProdManager 0.22's data: its database recognised, upgraded in place or imported (issue 13).

:mod:`.schema` holds what a 0.22 database is, :mod:`.detect` recognises one, :mod:`.convert` turns its rows into ours,
:mod:`.transfer` writes them, :mod:`.upgrade` runs the in-place upgrade and the import, and
:mod:`.models` holds the tables both keep (``app_config``, ``legacy_import``, ``legacy_subscriber``).
"""
