"""edits that race, and the outbox under faults (issue 9)

Revisions on every record with an edit-conflict rule, one update per request and slot, case-insensitive
unique agency names and user emails, and when each outbox message was first due and when it failed.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

REVISIONED = ("children", "network_memberships", "actions", "goals", "agencies", "users")


def upgrade():
    for table in REVISIONED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('submissions') as batch_op:
        batch_op.add_column(sa.Column('slot', sa.Integer(), server_default='0', nullable=False))
    # Updates written while the chair allowed several from one agency each keep their author's slot.
    op.execute("UPDATE submissions SET slot = author_id WHERE request_id IN "
               "(SELECT id FROM submission_requests WHERE allow_several = true)")
    op.create_index('uq_submissions_request_id', 'submissions', ['request_id', 'slot'], unique=True)

    op.create_index('uq_agencies_name_lower', 'agencies', [sa.text('lower(name)')], unique=True)
    op.create_index('uq_users_email_lower', 'users', [sa.text('lower(email)')], unique=True)

    with op.batch_alter_table('outbox_messages') as batch_op:
        batch_op.add_column(sa.Column('due_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failed_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE outbox_messages SET due_at = created_at")
    op.execute("UPDATE outbox_messages SET failed_at = created_at WHERE state = 'failed'")
    with op.batch_alter_table('outbox_messages') as batch_op:
        batch_op.alter_column('due_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.create_index('ix_outbox_messages_due_at', ['due_at'])
        batch_op.create_index('ix_outbox_messages_failed_at', ['failed_at'])


def downgrade():
    with op.batch_alter_table('outbox_messages') as batch_op:
        batch_op.drop_index('ix_outbox_messages_failed_at')
        batch_op.drop_index('ix_outbox_messages_due_at')
        batch_op.drop_column('failed_at')
        batch_op.drop_column('due_at')
    op.drop_index('uq_users_email_lower', 'users')
    op.drop_index('uq_agencies_name_lower', 'agencies')
    op.drop_index('uq_submissions_request_id', 'submissions')
    with op.batch_alter_table('submissions') as batch_op:
        batch_op.drop_column('slot')
    for table in REVISIONED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('revision')
