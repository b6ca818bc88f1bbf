"""oversight: teams (a set of leads and their managers) and the indexes of the dashboard and measures

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'teams',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('name', sa.String(200), nullable=False, unique=True),
        sa.Column('agency_id', sa.Integer(), sa.ForeignKey('agencies.id'), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
    )
    op.create_index('ix_teams_agency_id', 'teams', ['agency_id'])
    op.create_table(
        'team_members',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('team_id', sa.Integer(), sa.ForeignKey('teams.id'), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('is_manager', sa.Boolean(), nullable=False),
        sa.UniqueConstraint('team_id', 'user_id'),
    )
    op.create_index('ix_team_members_team_id', 'team_members', ['team_id'])
    op.create_index('ix_team_members_user_id', 'team_members', ['user_id'])
    op.create_index('ix_submission_requests_deadline', 'submission_requests', ['deadline'])
    op.create_index('ix_actions_status_due_date', 'actions', ['status', 'due_date'])
    op.create_index('ix_minutes_status', 'minutes', ['status'])


def downgrade():
    op.drop_index('ix_minutes_status', 'minutes')
    op.drop_index('ix_actions_status_due_date', 'actions')
    op.drop_index('ix_submission_requests_deadline', 'submission_requests')
    op.drop_table('team_members')
    op.drop_table('teams')
