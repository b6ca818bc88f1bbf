"""a moved meeting keeps the organiser's reason for the move

Shown on the meeting's page and in the email that tells invitees of the move.

Revision ID: 0010_truthful_meetings
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_truthful_meetings'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('occurrences', sa.Column('move_reason', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('occurrences') as batch:
        batch.drop_column('move_reason')
