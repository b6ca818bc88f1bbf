"""the outbox tells a message in hand from one only claimed

A stop in the middle of a batch returns the claimed messages to the queue. Only the one that was being
handed to the relay was interrupted; counting the others as interrupted failed them after an outage had
raised their (temporary-failure) attempts. ``in_hand_since`` marks the message being sent and
``interruptions`` counts the sends that never came back.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages') as batch_op:
        batch_op.add_column(sa.Column('in_hand_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('interruptions', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('outbox_messages') as batch_op:
        batch_op.drop_column('interruptions')
        batch_op.drop_column('in_hand_since')
