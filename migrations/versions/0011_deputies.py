"""deputies: someone an invitee sends to one meeting in their place; an update request remembers when the
lead professional was told it was late

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'meeting_deputies',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('occurrence_id', sa.Integer(), sa.ForeignKey('occurrences.id'), nullable=False),
        sa.Column('for_user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('deputy_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('named_at', sa.DateTime(), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime()),
    )
    op.create_index('ix_meeting_deputies_occurrence_id', 'meeting_deputies', ['occurrence_id'])
    op.create_index('ix_meeting_deputies_deputy_id', 'meeting_deputies', ['deputy_id'])
    op.add_column('submission_requests', sa.Column('deputy_id', sa.Integer()))
    op.add_column('submission_requests', sa.Column('lead_told_late_at', sa.DateTime()))
    # Requests already late when this arrives are not news: no burst of notices on the first tick.
    op.execute("UPDATE submission_requests SET lead_told_late_at = CURRENT_TIMESTAMP WHERE deadline < CURRENT_DATE")
    if op.get_bind().dialect.name != 'sqlite':  # SQLite adds no constraint to an existing table
        op.create_foreign_key('fk_submission_requests_deputy_id', 'submission_requests', 'users', ['deputy_id'], ['id'])


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint('fk_submission_requests_deputy_id', 'submission_requests', type_='foreignkey')
    op.drop_column('submission_requests', 'deputy_id')
    op.drop_column('submission_requests', 'lead_told_late_at')
    op.drop_table('meeting_deputies')
