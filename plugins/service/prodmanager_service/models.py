"""The service table."""

from prodmanager.db import Base
from prodmanager.groups import GroupColumns


class Service(GroupColumns, Base):
  __tablename__ = "service"
