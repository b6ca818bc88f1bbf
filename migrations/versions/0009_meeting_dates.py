"""a series' meetings by start: its next and last meetings found without reading its history

Lists of families and series show each series' next meeting and its last held: (series_id, starts_at) lets
the database step to them from the series' first meeting after (or before) now.

Revision ID: 0009
Revises: 0008
"""
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_occurrences_series_id_starts_at', 'occurrences', ['series_id', 'starts_at'])


def downgrade():
    op.drop_index('ix_occurrences_series_id_starts_at', table_name='occurrences')
