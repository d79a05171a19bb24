"""The core's alembic environment (``env.py``) and its revisions (``versions/``).

The folder sits at the top of the source tree and ships in the wheel as ``prodmanager.migrations``
(see setup.py); :mod:`prodmanager.migrate` finds it through that package.
"""
