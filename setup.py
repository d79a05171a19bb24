"""The one thing setup.cfg cannot say: the top-level ``migrations/`` folder ships in the wheel as the
package ``prodmanager.migrations`` (setup.cfg's ``find_namespace:`` only finds folders under their own
name, and cannot be combined with extra packages). Everything else is in setup.cfg."""

from setuptools import find_namespace_packages, setup

setup(
  packages=find_namespace_packages(include=["prodmanager", "prodmanager.*"])
  + ["prodmanager.migrations", "prodmanager.migrations.versions"],
  package_dir={"prodmanager.migrations": "migrations"},
)
