"""at partnership scale: the update-request job's remembered progress, indexes for the audit log's filters

``requests_checked`` lets a scheduler tick skip meetings already worked out today. The audit log is read
newest first within a family or a person: (family_id, at) and (actor_id, at) serve those pages and exports
without sorting every event of the family or person.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'requests_checked',
        sa.Column('occurrence_id', sa.Integer(), nullable=False),
        sa.Column('checked_on', sa.Date(), nullable=False),
        sa.Column('series_revision', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['occurrence_id'], ['occurrences.id'], ondelete='CASCADE',
                                name=op.f('fk_requests_checked_occurrence_id_occurrences')),
        sa.PrimaryKeyConstraint('occurrence_id', name=op.f('pk_requests_checked')),
    )
    op.create_index('ix_audit_events_family_id_at', 'audit_events', ['family_id', 'at'])
    op.create_index('ix_audit_events_actor_id_at', 'audit_events', ['actor_id', 'at'])


def downgrade():
    op.drop_index('ix_audit_events_actor_id_at', table_name='audit_events')
    op.drop_index('ix_audit_events_family_id_at', table_name='audit_events')
    op.drop_table('requests_checked')
