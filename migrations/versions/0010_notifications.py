"""notifications: each person's choice of how to be told (as it happens or a daily digest), and the lines
held for their next digest

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notification_settings',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('kind', sa.String(40), nullable=False),
        sa.Column('delivery', sa.Enum('IMMEDIATELY', 'DAILY_DIGEST', name='delivery', native_enum=False,
                                      length=20), nullable=False),
        sa.UniqueConstraint('user_id', 'kind'),
    )
    op.create_index('ix_notification_settings_user_id', 'notification_settings', ['user_id'])
    op.create_table(
        'digest_items',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('key', sa.String(200), nullable=False, unique=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('email', sa.String(254), nullable=False),
        sa.Column('kind', sa.String(40), nullable=False),
        sa.Column('line', sa.String(500), nullable=False),
        sa.Column('url', sa.String(500), nullable=False),
        sa.Column('family_id', sa.Integer()),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime()),
    )
    op.create_index('ix_digest_items_waiting', 'digest_items', ['sent_at', 'user_id'])


def downgrade():
    op.drop_table('digest_items')
    op.drop_table('notification_settings')
