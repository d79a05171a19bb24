<%!
import re


def two_spaces(code):
    # Alembic indents generated operations by four spaces; the project's style is two.
    return re.sub(r"(?m)^((?:    )+)", lambda match: "  " * (len(match.group(1)) // 4), code)


def literal(value):
    # repr() with the double quotes of the project's style (revision ids and labels hold no quote).
    return repr(value).replace("'", '"')
%>"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}
revision = ${literal(up_revision)}
down_revision = ${literal(down_revision)}
branch_labels = ${literal(branch_labels)}
depends_on = ${literal(depends_on)}


def upgrade():
  ${two_spaces(upgrades) if upgrades else "pass"}


def downgrade():
  ${two_spaces(downgrades) if downgrades else "pass"}
