"""a moved meeting keeps the organiser's reason for the move

Shown on the meeting's page and in the email that tells invitees of the move.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('occurrences', sa.Column('move_reason', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('occurrences') as batch:
        batch.drop_column('move_reason')
