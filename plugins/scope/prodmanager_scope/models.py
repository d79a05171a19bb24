"""The scope table."""

from prodmanager.db import Base
from prodmanager.groups import GroupColumns


class Scope(GroupColumns, Base):
  __tablename__ = "scope"
