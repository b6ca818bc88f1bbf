"""partners invited by a lead professional: who invited the account

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('invited_by_id', sa.Integer()))
    if op.get_bind().dialect.name != 'sqlite':  # SQLite adds no constraint to an existing table
        op.create_foreign_key('fk_users_invited_by_id', 'users', 'users', ['invited_by_id'], ['id'])


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint('fk_users_invited_by_id', 'users', type_='foreignkey')
    op.drop_column('users', 'invited_by_id')
