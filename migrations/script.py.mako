<%!
import re


def two_spaces(code):
    # Alembic indents generated operations by four spaces; the project's style is two.
    return re.sub(r"(?m)^((?:    )+)", lambda match: "  " * (len(match.group(1)) // 4), code)
%>"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade():
  ${two_spaces(upgrades) if upgrades else "pass"}


def downgrade():
  ${two_spaces(downgrades) if downgrades else "pass"}
