"""two-way calendars: answers from calendars, proposed times, the organiser mailbox's messages

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('invitees', sa.Column('series_answer', sa.Enum(
        'ATTENDING', 'APOLOGIES', 'DEPUTY', 'REPORT_ONLY', 'TENTATIVE', name='response', native_enum=False,
        length=30)))
    op.add_column('invitees', sa.Column('answer_stamp', sa.DateTime()))
    op.add_column('invitation_responses', sa.Column('source', sa.String(20)))
    op.add_column('invitation_responses', sa.Column('answer_stamp', sa.DateTime()))
    op.create_table(
        'proposed_times',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('occurrence_id', sa.Integer(), sa.ForeignKey('occurrences.id'), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('comment', sa.String(500)),
        sa.Column('inbound_message_id', sa.Integer(), unique=True),
        sa.Column('status', sa.Enum('WAITING', 'ACCEPTED', 'DECLINED', name='proposalstatus', native_enum=False,
                                    length=30), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('decided_at', sa.DateTime()),
        sa.Column('decided_by_id', sa.Integer(), sa.ForeignKey('users.id')),
    )
    op.create_index('ix_proposed_times_occurrence_id', 'proposed_times', ['occurrence_id'])
    op.create_table(
        'inbound_messages',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('digest', sa.String(64), nullable=False, unique=True),
        sa.Column('source', sa.String(200), nullable=False),
        sa.Column('raw', sa.LargeBinary()),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sender', sa.String(254), nullable=False),
        sa.Column('subject', sa.String(300), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('state', sa.Enum('NEW', 'APPLIED', 'KEPT', 'DONE', name='inboundstate', native_enum=False,
                                   length=10), nullable=False),
        sa.Column('outcome', sa.String(500)),
        sa.Column('family_id', sa.Integer()),
        sa.Column('occurrence_id', sa.Integer()),
        sa.Column('handled_at', sa.DateTime()),
        sa.Column('looked_at_by_id', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('looked_at_at', sa.DateTime()),
    )
    op.create_index('ix_inbound_messages_state', 'inbound_messages', ['state'])
    op.create_index('ix_inbound_messages_family_id', 'inbound_messages', ['family_id'])


def downgrade():
    op.drop_table('inbound_messages')
    op.drop_table('proposed_times')
    op.drop_column('invitation_responses', 'answer_stamp')
    op.drop_column('invitation_responses', 'source')
    op.drop_column('invitees', 'answer_stamp')
    op.drop_column('invitees', 'series_answer')
